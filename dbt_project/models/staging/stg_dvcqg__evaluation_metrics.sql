-- Official scores of the national evaluation API (sources.md B.2), one row per unit (or root),
-- period and indicator, from the latest extraction of each group, unit and period.
-- Metric-list groups (transparency, handling-satisfaction, dossier-digitized) publish every
-- metric with numerator, denominator, ratio (percent) and score. Tree groups publish counters
-- only: the seed `dvcqg_tree_counters` maps them to each indicator's numerator and denominator (indices.md
-- §2-§4); the group's score is the indicator's only for one-indicator groups (progress). A
-- tree entry without counters (provide-online-tree children) yields no row.
with

source as (
    select * from {{ source('raw', 'dvcqg_evaluation') }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by portal_group, period_type, period_start, department_id
        order by _extracted_at desc, _run_id desc
    ) = 1
),

published_metrics as (
    select
        latest.*,
        {{ unnest_list('latest.metrics') }} as metric
    from latest
),

metric_rows as (
    select
        department_code as unit_code,
        department_id,
        is_root,
        period_type,
        cast(period_start as date) as period_start,
        metric.code as indicator_code,
        metric.numerator,
        metric.denominator,
        metric.ratio as ratio_percent,
        metric.score,
        metric.max_score
    from published_metrics
),

tree_counters as (
    select * from {{ ref('dvcqg_tree_counters') }}
),

published_counters as (
    select
        latest.portal_group,
        latest.department_id,
        latest.period_type,
        latest.period_start,
        {{ unnest_list('latest.counters') }} as counter
    from latest
),

tree_values as (
    select
        published_counters.portal_group,
        published_counters.department_id,
        published_counters.period_type,
        published_counters.period_start,
        tree_counters.indicator_code,
        bool_and(tree_counters.takes_group_score) as takes_group_score,
        cast(sum(case when tree_counters.counter_role = 'numerator'
            then published_counters.counter.value end) as bigint) as numerator,
        cast(sum(case when tree_counters.counter_role = 'denominator'
            then published_counters.counter.value end) as bigint) as denominator
    from published_counters
    inner join tree_counters
        on tree_counters.portal_group = published_counters.portal_group
        and tree_counters.counter_name = published_counters.counter.name
    group by all
),

tree_rows as (
    select
        latest.department_code as unit_code,
        latest.department_id,
        latest.is_root,
        latest.period_type,
        cast(latest.period_start as date) as period_start,
        tree_values.indicator_code,
        tree_values.numerator,
        tree_values.denominator,
        case when tree_values.takes_group_score then latest.ratio end as ratio_percent,
        case when tree_values.takes_group_score then latest.total_score end as score,
        case when tree_values.takes_group_score then latest.total_max_score end as max_score
    from tree_values
    inner join latest
        on latest.portal_group = tree_values.portal_group
        and latest.department_id = tree_values.department_id
        and latest.period_type = tree_values.period_type
        and latest.period_start = tree_values.period_start
),

unioned as (
    select * from metric_rows
    union all
    select * from tree_rows
)

select
    unit_code,
    department_id,
    is_root,
    period_type,
    period_start,
    indicator_code,
    cast(numerator as bigint) as numerator,
    cast(denominator as bigint) as denominator,
    cast(ratio_percent as double) as ratio_percent,
    cast(score as double) as score,
    cast(max_score as double) as max_score
from unioned
