{{ config(enabled=var('dvcqg_reference_dir', '') != '', schema='conformance', materialized='table') }}
-- The published counters of every indicator, one row per response file, unit and indicator code.
-- Metric-list groups (transparency, handling-satisfaction, dossier-digitized) publish each
-- metric with its numerator, denominator, ratio (percent) and score. Tree groups publish only
-- counters and the group's total; the seed `dvcqg_tree_counters` says which counters are each indicator's
-- numerator and denominator (indices.md §2–§4). A unit without the counters (the children of
-- provide-online-tree) gets no row and cannot be recomputed.
with

units as (
    select * from {{ ref('conformance_dvcqg__units') }}
),

published_metrics as (
    select
        units.source_file,
        units.department_id,
        unnest(json_extract(units.entry, '$.metrics[*]')) as metric
    from units
),

metric_counters as (
    select
        source_file,
        department_id,
        metric ->> 'code' as indicator_code,
        cast(metric ->> 'numerator' as bigint) as numerator,
        cast(metric ->> 'denominator' as bigint) as denominator,
        cast(metric ->> 'ratio' as double) / 100 as published_ratio,
        cast(metric ->> 'score' as double) as published_points,
        cast(metric ->> 'maxScore' as double) as published_max_points,
        'metric' as published_as
    from published_metrics
),

tree_counters as (
    -- the seed in one row per indicator: its numerator counters (summed), its denominator
    select
        portal_group,
        indicator_code,
        list(counter_name order by counter_name) filter (where counter_role = 'numerator')
            as numerator_counters,
        any_value(counter_name) filter (where counter_role = 'denominator')
            as denominator_counter,
        bool_and(takes_group_score) as takes_group_score
    from {{ ref('dvcqg_tree_counters') }}
    group by portal_group, indicator_code
),

tree_indicator_counters as (
    select
        units.source_file,
        units.department_id,
        tree_counters.indicator_code,
        cast(list_sum(list_transform(
            tree_counters.numerator_counters,
            lambda counter: cast(json_extract_string(units.entry, '$.' || counter) as bigint)
        )) as bigint) as numerator,
        cast(json_extract_string(units.entry, '$.' || tree_counters.denominator_counter) as bigint)
            as denominator,
        cast(null as double) as published_ratio,
        -- A one-indicator group's published total is that indicator's published score.
        case when tree_counters.takes_group_score then units.published_total end
            as published_points,
        cast(null as double) as published_max_points,
        'tree counters' as published_as
    from units
    inner join tree_counters on tree_counters.portal_group = units.portal_group
    where json_exists(units.entry, '$.' || tree_counters.denominator_counter)
),

counters as (
    select * from metric_counters
    union all by name
    select * from tree_indicator_counters
)

select * from counters
