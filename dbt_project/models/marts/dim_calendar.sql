-- The working-day calendar (domain.md §4): holidays.VN plus local overrides.
select
    calendar_date as date,
    is_working_day,
    working_day_seq,
    holiday_name
from {{ ref('int_calendar__working_days') }}
