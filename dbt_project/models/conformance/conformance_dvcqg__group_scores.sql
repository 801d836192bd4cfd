{{ config(enabled=var('dvcqg_reference_dir', '') != '', schema='conformance', materialized='table') }}
-- Every published group score against the project's: the sum of the group's indicator points,
-- each rounded as the portal displays it (indices.md §0.3), NULL points counting 0. A unit
-- whose response carries no counters (provide-online-tree children) has no recomputed score.
with

units as (
    select * from {{ ref('conformance_dvcqg__units') }}
),

indicator_points as (
    select * from {{ ref('conformance_dvcqg__indicator_points') }}
    where group_code is not null
),

groups as (
    select * from {{ ref('indicator_groups') }}
),

recomputed as (
    select
        source_file,
        department_id,
        count(*) as indicators_recomputed,
        sum(coalesce(displayed_points, 0)) as recomputed_total
    from indicator_points
    group by source_file, department_id
),

compared as (
    select
        units.source_file,
        units.group_code,
        units.period_type,
        units.is_province,
        units.department_id,
        units.department_code,
        units.department_name,
        cast(groups.max_points as double) as max_points,
        units.published_max,
        units.published_total,
        coalesce(recomputed.indicators_recomputed, 0) as indicators_recomputed,
        round(recomputed.recomputed_total, 6) as recomputed_total,
        round(abs(recomputed.recomputed_total - units.published_total), 6) as abs_error
    from units
    left join groups on groups.group_code = units.group_code
    left join recomputed
        on recomputed.source_file = units.source_file
        and recomputed.department_id = units.department_id
)

select * from compared
