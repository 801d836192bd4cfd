{{ config(enabled=var('dvcqg_reference_dir', '') != '', schema='conformance', materialized='table') }}
-- How well the project's scoring rules reproduce the portal, per group and period type: units
-- (the province included) whose published group score is recomputed, matched to the cent, and
-- the largest error; the same for indicator scores where the portal publishes them. The
-- tolerance is the tests' business (tests/conformance), this model only measures.
with

group_scores as (
    select * from {{ ref('conformance_dvcqg__group_scores') }}
),

indicator_points as (
    select * from {{ ref('conformance_dvcqg__indicator_points') }}
    where group_code is not null and is_published
),

group_fit as (
    select
        group_code,
        period_type,
        count(*) as units_published,
        count(recomputed_total) as units_recomputed,
        count(case when abs_error = 0 then 1 end) as units_matched,
        max(abs_error) as max_abs_error,
        max(case when is_province then published_total end) as province_published,
        max(case when is_province then recomputed_total end) as province_recomputed
    from group_scores
    group by group_code, period_type
),

indicator_fit as (
    select
        group_code,
        period_type,
        count(*) as indicator_scores_published,
        count(case when abs_error = 0 then 1 end) as indicator_scores_matched,
        max(abs_error) as indicator_max_abs_error
    from indicator_points
    group by group_code, period_type
),

fit as (
    select
        group_fit.*,
        coalesce(indicator_fit.indicator_scores_published, 0) as indicator_scores_published,
        coalesce(indicator_fit.indicator_scores_matched, 0) as indicator_scores_matched,
        indicator_fit.indicator_max_abs_error
    from group_fit
    left join indicator_fit
        on indicator_fit.group_code = group_fit.group_code
        and indicator_fit.period_type = group_fit.period_type
)

select * from fit
