-- Working-day calendar: holidays.VN from the raw zone, overridden by local decisions (seed).
with

source as (
    select * from {{ source('raw', 'working_calendar') }}
),

overrides as (
    select * from {{ ref('calendar_overrides') }}
),

renamed as (
    select
        cast(source.date as date) as calendar_date,
        coalesce(overrides.is_working_day, source.is_working_day) as is_working_day,
        coalesce(overrides.name, source.holiday_name) as holiday_name
    from source
    left join overrides on overrides.date = source.date
)

select * from renamed
