{{ config(enabled=var('dvcqg_reference_dir', '') != '') }}
-- The reference speaks the catalog's language: every scored portal metric has a catalog row of
-- the file's group with the same maximum, every group has the catalog's maximum, every file is
-- a known group, and every catalog indicator is recomputed somewhere in the reference.
with

indicator_points as (
    select * from {{ ref('conformance_dvcqg__indicator_points') }}
),

group_scores as (
    select * from {{ ref('conformance_dvcqg__group_scores') }}
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

problems as (
    select distinct source_file, indicator_code, 'scored metric without a catalog row' as problem
    from indicator_points
    where group_code is null and coalesce(published_max_points, 0) > 0
    union all
    select distinct source_file, indicator_code, 'catalog group differs from the file''s group'
    from indicator_points
    where group_code <> published_group_code
    union all
    select distinct source_file, indicator_code, 'catalog max_points differs from maxScore'
    from indicator_points
    where max_points <> published_max_points
    union all
    select distinct source_file, group_code, 'unknown group or group maximum differs'
    from group_scores
    where max_points is null or max_points <> published_max
    union all
    select null, indicator_code, 'catalog indicator never recomputed from the reference'
    from catalog
    where indicator_code not in (
        select indicator_code from indicator_points where indicator_code is not null
    )
)

select * from problems
