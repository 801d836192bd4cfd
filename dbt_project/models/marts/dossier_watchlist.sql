-- The morning watchlist (issue 19): open dossiers at AS_OF that need someone today, one row per
-- dossier and reason (seed `watch_rules`: the reason's text, what to do citing the form of the
-- dossier's regime, and the finding whose responsible unit and grace it shares):
--   OVERDUE                still in progress and late as the index judges it (§2);
--   DUE_SOON               still in progress, on time, due within WATCH_WORKING_DAYS working days;
--   PAUSED_TOO_LONG        waiting on the citizen (status 5 or 6) longer than the rule allows;
--   NOT_SYNCED             received, no national copy at AS_OF;
--   RESULT_NOT_AT_COUNTER  finished, paper result returned at the counter, not handed over to it.
-- Open = received and not terminal at AS_OF, or finished (status 9) and not yet handed to the
-- applicant. `working_minutes_left` is the index's clock (§2, supplement waits subtracted): the
-- working minutes from the dossier's adjusted end (AS_OF while open) to its due instant,
-- negative when late. `act_by` is when the rule wanted the action: the due instant (OVERDUE,
-- DUE_SOON: the apology, form 04, must precede it), the end of the allowed pause, the end of
-- the sync grace or of the day for the paper result; in the past it is already late to act.
with

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
    where is_received
),

at_as_of as (
    select dossier_id, is_late, adjusted_end_index
    from {{ ref('int_progress_on_time__dossier_periods') }}
    where period_type = 'as_of'
),

responsible as (
    select * from {{ ref('int_findings__responsible_units') }}
),

rules as (
    select
        watch.watch_reason,
        watch.regime,
        watch.allowed_minutes,
        watch.watch_reason_vi,
        watch.action_vi,
        findings.responsible,
        findings.grace_minutes
    from {{ ref('watch_rules') }} as watch
    inner join {{ ref('finding_catalog') }} as findings on findings.finding_code = watch.finding_code
),

as_of as (
    select * from {{ ref('int_findings__as_of') }}
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

open_at_as_of as (
    select * from {{ ref('int_findings__open_at_as_of') }}
),

-- The national copies of the open dossiers only: a distinct over every copy cost most of this
-- model (at 3 M dossiers 1.5-2.2 against 0.9-1.0 CPU-s for the whole model).
copies as (
    select distinct national_code from {{ ref('stg_dvcqg__dossier_copies') }}
    where national_code in (
        select dossiers.national_code
        from dossiers
        inner join open_at_as_of on open_at_as_of.dossier_id = dossiers.dossier_id
    )
),

-- Per dossier, from its steps up to AS_OF: whether its result went to the counter or back to
-- the applicant, and the first step of the uninterrupted wait on the citizen (statuses 5/6) its
-- history ends with, a pause only while its status at AS_OF is 5 or 6.
last_steps as (
    select * from {{ ref('int_findings__step_summary') }}
),

open_dossiers as (
    select
        dossiers.*,
        coalesce(last_steps.result_at_counter, false) as result_at_counter,
        coalesce(last_steps.returned, false) as returned,
        case when open_at_as_of.status_at_as_of in (5, 6) then last_steps.paused_at end
            as paused_at,
        case when open_at_as_of.status_at_as_of in (5, 6) then last_steps.paused_index end
            as paused_index,
        at_as_of.is_late,
        {{ working_minute_index('dossiers.due_at', 'due_day') }} - at_as_of.adjusted_end_index
            as working_minutes_left,
        {{ working_minute_index('dossiers.finished_at', 'finished_day') }} as finished_index,
        copies.national_code is not null as has_national_copy
    from dossiers
    inner join open_at_as_of on open_at_as_of.dossier_id = dossiers.dossier_id
    left join last_steps on last_steps.dossier_id = dossiers.dossier_id
    left join at_as_of on at_as_of.dossier_id = dossiers.dossier_id
    left join copies on copies.national_code = dossiers.national_code
    left join calendar as due_day on due_day.calendar_date = cast(dossiers.due_at as date)
    left join calendar as finished_day on finished_day.calendar_date = cast(dossiers.finished_at as date)
    where open_at_as_of.is_open
),

-- One row per dossier and reason that applies, with the working-minute index of `act_by`
-- (null: act_by is the due instant itself).
reasons as (
    select dossier_id, 'OVERDUE' as watch_reason, cast(null as bigint) as act_by_index
    from open_dossiers
    where progress_status = 'IN_PROGRESS_OVERDUE'
    union all
    select dossier_id, 'DUE_SOON', cast(null as bigint)
    from open_dossiers
    where progress_status = 'IN_PROGRESS_WITHIN_DUE'
      and working_minutes_left <= {{ watch_working_days() }} * 480
    union all
    select open_dossiers.dossier_id, 'PAUSED_TOO_LONG', open_dossiers.paused_index + rules.allowed_minutes
    from open_dossiers
    inner join rules
        on rules.watch_reason = 'PAUSED_TOO_LONG' and rules.regime = open_dossiers.regime
    cross join as_of
    where open_dossiers.paused_index + rules.allowed_minutes < as_of.as_of_index
    union all
    select open_dossiers.dossier_id, 'NOT_SYNCED', open_dossiers.received_index + rules.grace_minutes
    from open_dossiers
    inner join rules
        on rules.watch_reason = 'NOT_SYNCED' and rules.regime = open_dossiers.regime
    where not open_dossiers.has_national_copy
    union all
    select open_dossiers.dossier_id, 'RESULT_NOT_AT_COUNTER', open_dossiers.finished_index + rules.grace_minutes
    from open_dossiers
    inner join rules
        on rules.watch_reason = 'RESULT_NOT_AT_COUNTER' and rules.regime = open_dossiers.regime
    where open_dossiers.finished_at is not null
      and open_dossiers.result_is_document
      and open_dossiers.result_delivery = 'COUNTER'
      and not open_dossiers.result_at_counter
      and not open_dossiers.returned
),

-- act_by as an instant: `minute` office minutes into the working day its index ends on.
dated as (
    select
        reasons.dossier_id,
        reasons.watch_reason,
        {{ instant_in_office_day('act_day.calendar_date', 'reasons.act_by_index - act_day.working_day_ordinal * 480') }}
            as act_by_at
    from reasons
    left join calendar as act_day
        on act_day.is_working_day
        and act_day.working_day_ordinal = {{ due_day_ordinal('reasons.act_by_index') }}
)

select
    as_of.as_of,
    open_dossiers.dossier_code,
    open_dossiers.unit_code,
    case rules.responsible
        when 'HANDLING_UNIT' then responsible.handling_responsible_code
        else responsible.counter_responsible_code
    end as responsible_unit_code,
    open_dossiers.procedure_code,
    open_dossiers.received_at,
    open_dossiers.due_at,
    -- Whole minutes left, rounded down (an engine's cast would round or truncate).
    cast(floor(open_dossiers.working_minutes_left) as bigint) as working_minutes_left,
    dated.watch_reason,
    rules.watch_reason_vi,
    rules.action_vi,
    coalesce(dated.act_by_at, open_dossiers.due_at) as act_by
from dated
inner join open_dossiers on open_dossiers.dossier_id = dated.dossier_id
inner join rules
    on rules.watch_reason = dated.watch_reason
    and rules.regime = open_dossiers.regime
left join responsible on responsible.unit_code = open_dossiers.unit_code
cross join as_of
