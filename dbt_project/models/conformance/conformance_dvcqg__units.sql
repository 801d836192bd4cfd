{{ config(enabled=var('dvcqg_reference_dir', '') != '', schema='conformance', materialized='table') }}
-- Every unit (and the province itself) of every captured response of the national portal's
-- evaluation API, read as published. Files sit at <portal group>/<period type>-all.json under
-- the folder given by the var `dvcqg_reference_dir` (../shared/reference/dvcqg-evaluation).
-- Metric-list groups put the province in `overview` and the units in `evaluation[]`; tree
-- groups in `parent` and `children[]`.
{%- set reference_dir = var('dvcqg_reference_dir', '').rstrip('/') %}
with

files as (
    select
        regexp_extract(filename, '([^/]+/[^/]+\.json)$', 1) as source_file,
        regexp_extract(filename, '([^/]+)/([a-z]+)-all\.json$', 1) as portal_group,
        regexp_extract(filename, '([^/]+)/([a-z]+)-all\.json$', 2) as period_type,
        content::json as body
    from read_text('{{ reference_dir }}/*/*-all.json')
),

portal_groups as (
    select * from {{ ref('dvcqg_portal_groups') }}
),

entries as (
    select
        source_file,
        portal_group,
        period_type,
        true as is_province,
        coalesce(body -> '$.data.overview', body -> '$.data.parent') as entry
    from files
    union all
    select
        source_file,
        portal_group,
        period_type,
        false as is_province,
        unnest(json_extract(
            coalesce(body -> '$.data.evaluation', body -> '$.data.children'), '$[*]'
        )) as entry
    from files
),

units as (
    select
        entries.source_file,
        entries.portal_group,
        portal_groups.group_code,
        entries.period_type,
        entries.is_province,
        entries.entry ->> 'departmentId' as department_id,
        entries.entry ->> 'departmentCode' as department_code,
        entries.entry ->> 'departmentName' as department_name,
        -- Tree children publish `score`/`maxScore`, everything else `totalScore`/`totalMaxScore`.
        cast(coalesce(entries.entry ->> 'totalScore', entries.entry ->> 'score') as double)
            as published_total,
        cast(coalesce(entries.entry ->> 'totalMaxScore', entries.entry ->> 'maxScore') as double)
            as published_max,
        entries.entry
    from entries
    left join portal_groups on portal_groups.portal_group = entries.portal_group
)

select * from units
