-- Official vs computed (warehouse.md, sources.md B.2): for every indicator the national
-- evaluation API publishes for a unit and period, the official counters and points next to the
-- project's own (fct_indicator, rollup SELF: the portal's unit entry counts the dossiers the
-- unit received, MaDonViXuLy) and the difference, so a unit sees whether a low official score
-- is real or a sync problem. Only indicators the project computes are compared (the official
-- ones of §1 are copied into fct_indicator, not computed). The province root is configuration
-- and is not compared.
with

catalog as (
    select * from {{ ref('indicator_catalog') }}
    where source = 'computed'
),

departments as (
    select * from {{ ref('dvcqg_department') }}
),

-- Portal entries map to units by departmentCode when present, else through the seed.
official as (
    select
        coalesce(metrics.unit_code, departments.unit_code) as unit_code,
        metrics.period_type,
        metrics.period_start,
        metrics.indicator_code,
        metrics.numerator,
        metrics.denominator,
        metrics.ratio_percent,
        metrics.score
    from {{ ref('stg_dvcqg__evaluation_metrics') }} as metrics
    left join departments on departments.department_id = metrics.department_id
    where not coalesce(metrics.is_root, false)
),

computed as (
    select * from {{ ref('fct_indicator') }}
    where rollup = 'SELF'
),

periods as (
    select * from {{ ref('int_periods') }}
),

compared as (
    select
        official.unit_code,
        official.period_type,
        official.period_start,
        official.indicator_code,
        catalog.group_code,
        official.numerator as official_numerator,
        official.denominator as official_denominator,
        coalesce(
            official.ratio_percent / 100.0,
            {{ safe_ratio('official.numerator', 'official.denominator') }}
        ) as official_ratio,
        -- Tree groups publish counters and a group total only: their indicators are scored
        -- from the published counters with the catalog's rule, as the portal does (docs/scoring.md).
        case
            when official.score is not null then official.score
            when coalesce(official.denominator, 0) > 0 then {{ portal_round(score_points(
                safe_ratio('official.numerator', 'official.denominator'),
                'official.denominator', 'catalog.max_points', 'catalog.scoring_rule',
                'catalog.threshold', 'catalog.zero_denominator_points'
            )) }}
        end as official_points,
        case
            when official.score is not null then 'published'
            when coalesce(official.denominator, 0) > 0 then 'scored_from_counters'
        end as official_points_source,
        computed.numerator as computed_numerator,
        computed.denominator as computed_denominator,
        computed.ratio as computed_ratio,
        computed.points as computed_points,
        {{ portal_round('computed.points') }} as computed_points_displayed,
        cast(catalog.max_points as double) as max_points,
        periods.evaluated_at as as_of
    from official
    inner join catalog on catalog.indicator_code = official.indicator_code
    inner join periods
        on periods.period_type = official.period_type
        and periods.period_start = official.period_start
    left join computed
        on computed.unit_code = official.unit_code
        and computed.period_type = official.period_type
        and computed.period_start = official.period_start
        and computed.indicator_code = official.indicator_code
    where official.unit_code is not null
)

select
    *,
    computed_numerator - official_numerator as delta_numerator,
    computed_denominator - official_denominator as delta_denominator,
    -- A null official score over a zero denominator against 0 computed points is no delta
    -- (warehouse.md); points are compared as the portal displays them.
    case
        when official_points is null and coalesce(official_denominator, 0) = 0
            and coalesce(computed_points, 0) = 0 then 0.0
        else computed_points_displayed - official_points
    end as delta_points
from compared
