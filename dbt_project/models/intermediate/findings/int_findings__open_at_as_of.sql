-- Each judged dossier's national status at AS_OF (its last step by then; the record's status when
-- it has no step) and whether it is still open for the worklists (issue 19): in progress at
-- AS_OF, or finished (status 9) and not yet handed to the applicant, for at most
-- var('open_after_finish_working_days') working days after its finish — an apology, a call or a
-- paper hand-over still helps it then; a result "waiting" for years is a record, not a task.
-- Read by accountability_findings (is_actionable) and dossier_watchlist, so that both mean the
-- same by "open". Only the open dossiers are listed (both readers take a dossier not listed as
-- closed): rebuilt every day, it writes the few open dossiers, not every judged one.
with

dossiers as (
    select dossier_id, progress_status, national_status, finished_at
    from {{ ref('int_findings__dossiers') }}
),

last_steps as (
    select dossier_id, last_step_status as status_at_as_of
    from {{ ref('int_findings__step_summary') }}
),

as_of as (
    select * from {{ ref('int_findings__as_of') }}
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

judged as (
    select
        dossiers.dossier_id,
        dossiers.progress_status,
        coalesce(last_steps.status_at_as_of, dossiers.national_status) as status_at_as_of,
        {{ working_minute_index('dossiers.finished_at', 'finished_day') }}
            + {{ var('open_after_finish_working_days') }} * 480 >= as_of.as_of_index
            as finished_recently
    from dossiers
    cross join as_of
    left join last_steps on last_steps.dossier_id = dossiers.dossier_id
    left join calendar as finished_day on finished_day.calendar_date = cast(dossiers.finished_at as date)
),

opened as (
    select
        dossier_id,
        status_at_as_of,
        progress_status in ('IN_PROGRESS_OVERDUE', 'IN_PROGRESS_WITHIN_DUE')
            or (status_at_as_of = 9 and coalesce(finished_recently, false)) as is_open
    from judged
)

select dossier_id, status_at_as_of, is_open
from opened
where is_open
