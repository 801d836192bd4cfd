-- Every indicator per unit, roll-up and period (warehouse.md, indices.md §0.3): counters from
-- the `ind_*` models, scoring rules and maxima from the seed `indicator_catalog`.
with

counters as (
    select * from {{ ref('ind_progress_on_time') }}
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

scored as (
    select
        counters.unit_code,
        counters.rollup,
        counters.period_type,
        counters.period_start,
        counters.indicator_code,
        catalog.group_code,
        periods.period_end,
        periods.evaluated_at as as_of,
        cast(counters.numerator as bigint) as numerator,
        cast(counters.denominator as bigint) as denominator,
        {{ safe_ratio('counters.numerator', 'counters.denominator') }} as ratio,
        {{ score_points(
            safe_ratio('counters.numerator', 'counters.denominator'),
            'counters.denominator', 'catalog.max_points', 'catalog.scoring_rule',
            'catalog.threshold', 'catalog.zero_denominator_points'
        ) }} as points,
        cast(catalog.max_points as double) as max_points,
        case when coalesce(counters.denominator, 0) = 0 then 'no_activity' else 'ok' end as flag
    from counters
    inner join catalog on catalog.indicator_code = counters.indicator_code
    inner join periods
        on periods.period_type = counters.period_type
        and periods.period_start = counters.period_start
)

select * from scored
