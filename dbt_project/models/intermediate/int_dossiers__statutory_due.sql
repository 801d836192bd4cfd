-- Normalised reception and statutory due instant of each received dossier (indices.md §0.4),
-- from its procedure's time limit. Used when no appointment is stored and to reveal hidden
-- extensions (an appointment later than the law allows).
{{ kept_by_dossier('stg_motcua__dossiers_changed') }}
with

dossiers as (
    select dossier_id, procedure_version_id, procedure_code, accepted_at
    from {{ ref('stg_motcua__dossiers') }}
    where accepted_at is not null
      and {{ only_changed('dossier_id', 'stg_motcua__dossiers_changed') }}
),

versions as (
    select * from {{ ref('stg_motcua__procedures') }}
),

current_versions as (
    select * from {{ ref('int_procedures__current') }}
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

working_days as (
    select * from calendar where is_working_day
),

-- Each date with the first working date on or after it and the first after it: a calendar due
-- instant on a day off rolls to the former, a same-day procedure missing its cutoff is due on
-- the latter (one lookup per dossier instead of a search of the calendar).
next_working_days as (
    select
        calendar_date,
        is_working_day,
        working_day_ordinal,
        min(case when is_working_day then calendar_date end) over (
            order by calendar_date rows between current row and unbounded following
        ) as working_date_from,
        min(case when is_working_day then calendar_date end) over (
            order by calendar_date rows between 1 following and unbounded following
        ) as working_date_after
    from calendar
),

received as (
    select
        dossiers.dossier_id,
        dossiers.accepted_at,
        coalesce(versions.processing_time, current_versions.processing_time) as processing_time,
        coalesce(versions.processing_time_unit, current_versions.processing_time_unit)
            as processing_time_unit,
        coalesce(versions.same_day_cutoff, current_versions.same_day_cutoff) as same_day_cutoff,
        cal.is_working_day as received_on_working_day,
        cal.calendar_date as received_date,
        cal.working_date_after as next_working_date,
        {{ working_minute_index('dossiers.accepted_at', 'cal') }} as received_index
    from dossiers
    left join versions on versions.procedure_version_id = dossiers.procedure_version_id
    left join current_versions on current_versions.procedure_code = dossiers.procedure_code
    inner join next_working_days as cal on cal.calendar_date = cast(dossiers.accepted_at as date)
),

normalised as (
    select
        received.*,
        {{ instant_in_office_day('opening.calendar_date', 'received.received_index - opening.working_day_ordinal * 480') }}
            as normalised_received_at
    from received
    inner join working_days as opening
        on opening.working_day_ordinal = cast(floor(received.received_index / 480.0) as bigint)
),

targets as (
    select
        normalised.*,
        case
            when processing_time_unit = 'WORKING_DAY' then received_index + processing_time * 480
            when processing_time_unit = 'HOUR' then received_index + processing_time * 60
        end as due_index,
        case
            when processing_time_unit = 'DAY'
                then {{ add_microseconds('normalised_received_at', 'cast(processing_time * 86400000000 as bigint)') }}
            when processing_time_unit = 'MONTH'
                then {{ add_months_to_instant('normalised_received_at', 'cast(processing_time as integer)') }}
        end as calendar_due_at,
        -- A same-day procedure (time limit 0 with a cutoff): due at the close of the reception
        -- date if received on a working day by the cutoff, else of the next working date.
        case
            when same_day_cutoff is not null and processing_time = 0 then
                case
                    when received_on_working_day
                        and {{ local_time_text('accepted_at') }} <= same_day_cutoff || ':00'
                        then received_date
                    else next_working_date
                end
        end as same_day_due_date
    from normalised
),

-- A calendar due instant on a day off rolls to the next working day, same time of day.
rolled as (
    select
        targets.*,
        roll.working_date_from as roll_date
    from targets
    left join next_working_days as roll
        on roll.calendar_date = cast(targets.calendar_due_at as date)
),

resolved as (
    select
        rolled.dossier_id,
        rolled.accepted_at,
        rolled.normalised_received_at,
        rolled.received_index,
        case
            when rolled.same_day_due_date is not null
                then {{ instant_in_office_day('rolled.same_day_due_date', 480) }}
            when rolled.due_index is not null
                then {{ instant_in_office_day('due_day.calendar_date', 'rolled.due_index - due_day.working_day_ordinal * 480') }}
            when rolled.calendar_due_at is not null
                then case
                    when rolled.roll_date = cast(rolled.calendar_due_at as date) then rolled.calendar_due_at
                    else {{ add_microseconds(
                        'cast(rolled.roll_date as ' ~ instant_type() ~ ')',
                        microseconds_between(
                            'cast(cast(rolled.calendar_due_at as date) as ' ~ instant_type() ~ ')',
                            'rolled.calendar_due_at'
                        )
                    ) }}
                end
        end as statutory_due_at
    from rolled
    left join working_days as due_day
        on due_day.working_day_ordinal = {{ due_day_ordinal('rolled.due_index') }}
)

select
    resolved.*,
    {{ working_minute_index('resolved.statutory_due_at', 'due_cal') }} as statutory_due_index
from resolved
left join calendar as due_cal on due_cal.calendar_date = cast(resolved.statutory_due_at as date)
