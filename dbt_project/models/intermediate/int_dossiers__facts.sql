-- The rows of marts.fct_dossier without the run's evaluation instant: one row per one-stop
-- dossier (warehouse.md), deadlines, progress status at AS_OF and the facts the indicators count.
-- Personal data is only the keyed hash `applicant_key`. fct_dossier adds `as_of` as a view, so
-- the rows kept from one build to the next are not rewritten for it (issue 20).
-- Incremental (macros/incremental.sql): the progress status moves with AS_OF until the dossier
-- is received and terminal, so the dossiers of `int_dossiers__to_refresh` are recomputed; the
-- other rows stay as they are. A contract change is a code change: the pipeline then builds in
-- full, so the kept table's columns never need migrating.
{{ kept_by_dossier('int_dossiers__to_refresh', on_schema_change='fail') }}
with

dossiers as (
    select * from {{ ref('stg_motcua__dossiers') }}
    where {{ only_changed('dossier_id', 'int_dossiers__to_refresh') }}
),

events as (
    select * from {{ ref('int_dossier_events') }}
),

due as (
    select * from {{ ref('int_dossiers__statutory_due') }}
),

at_as_of as (
    select * from {{ ref('int_progress_on_time__dossier_periods') }}
    where period_type = 'as_of'
      and {{ only_changed('dossier_id', 'int_dossiers__to_refresh') }}
),

procedures as (
    select * from {{ ref('int_procedures__current') }}
),

rescheduled as (
    select dossier_id, {{ arg_max_of('new_appointment_at', 'step_at') }} as rescheduled_due_at
    from {{ ref('stg_motcua__dossier_steps') }}
    where action = 'APOLOGY' and new_appointment_at is not null
      and {{ only_changed('dossier_id', 'int_dossiers__to_refresh') }}
    group by dossier_id
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
)

select
    dossiers.dossier_code,
    dossiers.dossier_id,
    dossiers.national_code,
    dossiers.unit_code,
    dossiers.procedure_code,
    cast(dossiers.channel as integer) as channel,
    dossiers.applicant_type,
    dossiers.applicant_key,
    dossiers.accepted_at as received_at,
    coalesce(dossiers.appointment_at, due.statutory_due_at) as due_at,
    due.statutory_due_at,
    rescheduled.rescheduled_due_at,
    events.finished_at,
    events.first_returned_at as returned_at,
    events.terminal_at,
    cast(dossiers.national_status as integer) as national_status,
    case
        when dossiers.inter_agency_copy then 'EXCLUDED'
        when dossiers.accepted_at is null or dossiers.national_status in (1, 3) then 'NOT_RECEIVED'
        when at_as_of.is_terminal and at_as_of.is_late then 'LATE'
        when at_as_of.is_terminal and at_as_of.is_before_due_date then 'EARLY'
        when at_as_of.is_terminal then 'ON_TIME'
        when at_as_of.is_late then 'IN_PROGRESS_OVERDUE'
        when at_as_of.dossier_id is not null then 'IN_PROGRESS_WITHIN_DUE'
        else 'NOT_RECEIVED'
    end as progress_status,
    case when events.finished_at is not null and due.received_index is not null
        then ({{ working_minute_index('events.finished_at', 'finished_day') }} - due.received_index) / 480.0
    end as processing_working_days,
    case when at_as_of.is_late and due_day.calendar_date is not null
        then greatest(
            at_as_of.adjusted_end_index
            - {{ working_minute_index('coalesce(dossiers.appointment_at, due.statutory_due_at)', 'due_day') }},
            0
        ) / 480.0
    end as working_days_late,
    coalesce(events.supplement_requests, 0) as supplement_count,
    coalesce(events.apologies, 0) as apology_count,
    dossiers.national_code is not null as is_synced,
    cast(null as {{ instant_type() }}) as synced_at,
    cast(null as integer) as national_copy_status,
    coalesce(procedures.fee_amount, 0) > 0 as fee_bearing,
    dossiers.paid_online,
    dossiers.has_digitized_component as is_digitized,
    dossiers.has_e_result,
    dossiers.has_reused_file as reused_data,
    dossiers.uses_citizen_data as vneid_or_population_db,
    dossiers.rating,
    case
        when coalesce(dossiers.accepted_at, dossiers.submitted_at) < cast('2025-07-01' as {{ instant_type() }})
            then '2018'
        else '2025'
    end as regime,
    dossiers.inter_agency_copy,
    dossiers.source_updated_at
from dossiers
left join events on events.dossier_id = dossiers.dossier_id
left join due on due.dossier_id = dossiers.dossier_id
left join at_as_of on at_as_of.dossier_id = dossiers.dossier_id
left join procedures on procedures.procedure_code = dossiers.procedure_code
left join rescheduled on rescheduled.dossier_id = dossiers.dossier_id
left join calendar as finished_day on finished_day.calendar_date = cast(events.finished_at as date)
left join calendar as due_day
    on due_day.calendar_date = cast(coalesce(dossiers.appointment_at, due.statutory_due_at) as date)
