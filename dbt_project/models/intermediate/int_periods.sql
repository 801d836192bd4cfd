-- Evaluation periods (indices.md §0.1): every month, quarter and year overlapping
-- [history_start, as_of], each evaluated at T = min(next period start, AS_OF). The extra row
-- `as_of` (unbounded start, T = AS_OF) evaluates each dossier's own status at AS_OF.
with

days as (
    select calendar_date
    from {{ ref('int_calendar__working_days') }}
    where calendar_date >= date_trunc('year', {{ history_start() }})
      and calendar_date <= cast({{ as_of() }} as date)
),

starts as (
    select distinct 'month' as period_type, cast(date_trunc('month', calendar_date) as date) as period_start from days
    union all
    select distinct 'quarter', cast(date_trunc('quarter', calendar_date) as date) from days
    union all
    select distinct 'year', cast(date_trunc('year', calendar_date) as date) from days
),

bounded as (
    select
        period_type,
        period_start,
        case period_type
            when 'month' then cast(period_start + interval 1 month as date)
            when 'quarter' then cast(period_start + interval 3 month as date)
            else cast(period_start + interval 1 year as date)
        end as next_period_start
    from starts
),

periods as (
    select
        period_type,
        period_start,
        cast(next_period_start - interval 1 day as date) as period_end,
        cast(period_start as {{ instant_type() }}) as starts_at,
        least(cast(next_period_start as {{ instant_type() }}), {{ as_of() }}) as evaluated_at
    from bounded
    where next_period_start > {{ history_start() }}
      and cast(period_start as {{ instant_type() }}) < {{ as_of() }}
)

select * from periods
union all
select
    'as_of' as period_type,
    cast('1900-01-01' as date) as period_start,
    cast({{ as_of() }} as date) as period_end,
    cast('1900-01-01' as {{ instant_type() }}) as starts_at,
    {{ as_of() }} as evaluated_at
