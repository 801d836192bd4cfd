-- History steps of the judged dossiers up to AS_OF (a finding applies "by AS_OF", §9), each
-- with its working-minute index so that "within 1 working day" is one subtraction.
{{ kept_by_dossier('int_findings__to_refresh') }}
with

dossiers as (
    select dossier_id from {{ ref('int_findings__dossiers') }}
    where {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

-- The steps are filtered by the same keys as the dossiers, not only joined to them: DuckDB
-- joins every dossier's steps to every judged dossier before it applies a filter on the
-- joined side (at 3 M dossiers, 15 M steps: 7 CPU-s against 0.6 in a daily build).
steps as (
    select * from {{ ref('stg_motcua__dossier_steps') }}
    where {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

as_of as (
    select * from {{ ref('int_findings__as_of') }}
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
)

select
    steps.dossier_id,
    steps.step_seq,
    steps.step_at,
    {{ working_minute_index('steps.step_at', 'step_day') }} as step_index,
    steps.action,
    steps.national_status,
    steps.has_note,
    steps.document_no,
    steps.new_appointment_at
from steps
inner join dossiers on dossiers.dossier_id = steps.dossier_id
cross join as_of
inner join calendar as step_day on step_day.calendar_date = cast(steps.step_at as date)
where steps.step_at <= as_of.as_of
