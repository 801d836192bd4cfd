-- The dossiers whose findings an incremental build recomputes (indices.md §9): those of
-- `int_dossiers__to_refresh` (changed, or not received and terminal before the previous AS_OF),
-- and the dossiers a finding may start or stop applying to only because time passed, terminal
-- ones included:
-- - a step at or after the previous AS_OF (findings read the history cut at AS_OF), or less than
--   the longest grace period of `finding_catalog` (in working minutes) before it: a rule whose
--   grace runs from a step (a pause, the finishing step of an undelivered paper result) may
--   have expired in between;
-- - a due instant between the two AS_OFs: LATE_WITHOUT_APOLOGY dates a dossier counted late
--   before its due (a second supplement request) at the due once it has passed.
-- NOT_SYNCED and STATUS_OUT_OF_SYNC, whose grace runs from a reception or a national sync,
-- stay full tables. Empty in a full build (macros/incremental.sql).
{{ config(materialized='table') }}
-- depends_on: {{ ref('int_dossiers__to_refresh') }}
-- depends_on: {{ ref('int_findings__dossiers') }}
-- depends_on: {{ ref('stg_motcua__dossier_steps') }}
-- depends_on: {{ ref('finding_catalog') }}
-- depends_on: {{ ref('int_calendar__working_days') }}
-- depends_on: {{ ref('int_findings__as_of') }}
{% if incremental_build() %}
with

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

previous as (
    select
        {{ working_minute_index(previous_as_of(), 'previous_day') }}
            - (select max(grace_minutes) from {{ ref('finding_catalog') }}) as since_index
    from calendar as previous_day
    where previous_day.calendar_date = cast({{ previous_as_of() }} as date)
),

-- A working day never spans more than a few weeks of calendar days (the longest holiday is Tết),
-- so the working-minute test only runs on the steps of the last 40 days.
recent_steps as (
    select steps.dossier_id, steps.step_at
    from {{ ref('stg_motcua__dossier_steps') }} as steps
    where steps.step_at >= {{ add_microseconds(previous_as_of(), '-40 * 86400000000') }}
),

stepped as (
    select recent_steps.dossier_id
    from recent_steps
    cross join previous
    inner join calendar as step_day on step_day.calendar_date = cast(recent_steps.step_at as date)
    where recent_steps.step_at >= {{ previous_as_of() }}
       or {{ working_minute_index('recent_steps.step_at', 'step_day') }} >= previous.since_index
),

due as (
    select dossiers.dossier_id
    from {{ ref('int_findings__dossiers') }} as dossiers
    cross join {{ ref('int_findings__as_of') }} as as_of
    where dossiers.due_at >= {{ previous_as_of() }}
      and dossiers.due_at <= as_of.as_of
),

refreshed as (
    select dossier_id from {{ ref('int_dossiers__to_refresh') }}
    union
    select dossier_id from stepped
    union
    select dossier_id from due
)

select dossier_id from refreshed
{% else %}
select dossier_id from {{ ref('stg_motcua__dossiers') }} where false
{% endif %}
