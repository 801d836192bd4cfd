-- The working-day calendar with each date's ordinal among working days (domain.md §4).
with

days as (
    select * from {{ ref('stg_calendar__days') }}
),

numbered as (
    select
        calendar_date,
        is_working_day,
        holiday_name,
        cast(
            sum(case when is_working_day then 1 else 0 end) over (
                order by calendar_date rows between unbounded preceding and current row
            ) as bigint
        ) as working_day_seq
    from days
)

select
    calendar_date,
    is_working_day,
    holiday_name,
    working_day_seq,
    working_day_seq - case when is_working_day then 1 else 0 end as working_day_ordinal
from numbered
