-- The run's evaluation instant AS_OF and its working-minute index (indices.md §0.4), one row:
-- every finding is judged at AS_OF and its `working_days_open` counted up to it.
with

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
)

select
    {{ as_of() }} as as_of,
    {{ working_minute_index(as_of(), 'as_of_day') }} as as_of_index
from calendar as as_of_day
where as_of_day.calendar_date = cast({{ as_of() }} as date)
