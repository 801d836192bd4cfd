{{ config(enabled=var('dvcqg_reference_dir', '') != '', schema='conformance', materialized='table') }}
-- Every published indicator recomputed with the project's scoring rules: the seed
-- `indicator_catalog` and the macros `safe_ratio`, `score_points`, `portal_round` — the same
-- ones `fct_indicator` uses. Computed indicators are scored from the published counters;
-- official ones (indices.md §1) are copied, so their rule is checked on the portal's own ratio
-- (a null ratio means the portal had nothing to score). Codes without a catalog row are kept
-- with null rules (the portal's informational metrics, maxScore 0).
with

counters as (
    select * from {{ ref('conformance_dvcqg__indicator_counters') }}
),

units as (
    select * from {{ ref('conformance_dvcqg__units') }}
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

rated as (
    select
        units.group_code as published_group_code,
        units.period_type,
        units.is_province,
        units.department_code,
        units.department_name,
        counters.*,
        catalog.group_code,
        catalog.source,
        catalog.scoring_rule,
        catalog.threshold,
        catalog.zero_denominator_points,
        cast(catalog.max_points as double) as max_points,
        case when catalog.source = 'official'
            then counters.published_ratio
            else {{ safe_ratio('counters.numerator', 'counters.denominator') }}
        end as ratio,
        case when catalog.source = 'official'
            then case when counters.published_ratio is null then 0 else 1 end
            else counters.denominator
        end as scored_denominator
    from counters
    inner join units
        on units.source_file = counters.source_file
        and units.department_id = counters.department_id
    left join catalog on catalog.indicator_code = counters.indicator_code
),

scored as (
    select
        *,
        {{ score_points(
            'ratio', 'scored_denominator', 'max_points', 'scoring_rule',
            'threshold', 'zero_denominator_points'
        ) }} as points
    from rated
),

displayed as (
    select
        *,
        {{ portal_round('points') }} as displayed_points,
        -- Metric-list groups publish every indicator's score; tree groups only the group's.
        published_as = 'metric' or published_points is not null as is_published
    from scored
),

compared as (
    select
        *,
        -- A null published score with a zero denominator against 0 points is not a delta
        -- (warehouse.md, official_vs_computed): both count 0 in the group's total.
        round(case
            when not is_published then null
            when coalesce(scored_denominator, 0) = 0
                then abs(coalesce(displayed_points, 0) - coalesce(published_points, 0))
            else abs(displayed_points - published_points)
        end, 6) as abs_error
    from displayed
)

select * from compared
