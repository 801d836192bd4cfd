-- PROGRESS_ON_TIME (indices.md §2) evaluated for every handled dossier and period.
-- handled: received (accepted before T) and not terminal before the period starts.
-- end E: the terminal event if before T, else T. Supplement adjustment: every completed
-- round's waiting time is subtracted from E; if the last request is still open at E, E is that
-- request's time after exactly one request, and the dossier is late after two or more.
-- on time: adjusted E <= the original appointment (NgayHenTra), else, with no appointment,
-- the statutory due instant compared in working minutes. The `as_of` period gives each
-- dossier's own status at AS_OF (fct_dossier.progress_status).
{{ config(
    materialized=dossier_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_dossiers('int_dossiers__to_refresh') }}",
    post_hook="{{ refresh_evaluated_at() }}",
) }}
-- depends_on: {{ ref('int_dossiers__to_refresh') }}
with

dossiers as (
    select
        dossiers.dossier_id,
        dossiers.unit_code,
        dossiers.procedure_code,
        dossiers.accepted_at,
        dossiers.appointment_at,
        events.terminal_at,
        due.received_index,
        due.statutory_due_at,
        due.statutory_due_index
    from {{ ref('stg_motcua__dossiers') }} as dossiers
    left join {{ ref('int_dossier_events') }} as events on events.dossier_id = dossiers.dossier_id
    left join {{ ref('int_dossiers__statutory_due') }} as due on due.dossier_id = dossiers.dossier_id
    where dossiers.accepted_at is not null
      and dossiers.national_status not in (1, 3)
      and not dossiers.inter_agency_copy
      and {{ only_changed('dossiers.dossier_id', 'int_dossiers__to_refresh') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

handled as (
    select
        dossiers.*,
        periods.period_type,
        periods.period_start,
        periods.evaluated_at,
        case
            when dossiers.terminal_at < periods.evaluated_at then dossiers.terminal_at
            else periods.evaluated_at
        end as end_at
    from dossiers
    inner join periods
        on dossiers.accepted_at < periods.evaluated_at
        and (dossiers.terminal_at is null or dossiers.terminal_at >= periods.starts_at)
),

rounds as (
    select * from {{ ref('int_supplement_rounds') }}
),

rounds_before_end as (
    select
        handled.dossier_id,
        handled.period_type,
        handled.period_start,
        count(*) as requests_before_end,
        sum(case when rounds.received_at < handled.end_at
            then {{ epoch_seconds('rounds.received_at') }} - {{ epoch_seconds('rounds.requested_at') }}
            else 0 end) as waited_seconds,
        sum(case when rounds.received_at < handled.end_at
            then rounds.received_index - rounds.requested_index else 0 end) as waited_minutes,
        {{ arg_max_of('rounds.requested_at', 'rounds.round_no') }} as last_requested_at,
        {{ arg_max_of('rounds.requested_index', 'rounds.round_no') }} as last_requested_index,
        {{ arg_max_of(
            'rounds.received_at is null or rounds.received_at >= handled.end_at', 'rounds.round_no'
        ) }} as last_request_open
    from handled
    inner join rounds
        on rounds.dossier_id = handled.dossier_id
        and rounds.requested_at < handled.end_at
    group by handled.dossier_id, handled.period_type, handled.period_start
),

adjusted as (
    select
        handled.*,
        coalesce(rounds_before_end.requests_before_end, 0) as requests_before_end,
        coalesce(rounds_before_end.last_request_open, false)
            and rounds_before_end.requests_before_end >= 2 as waits_on_repeated_request,
        case
            when rounds_before_end.last_request_open then rounds_before_end.last_requested_at
            else {{ add_microseconds(
                'handled.end_at',
                '-cast(coalesce(rounds_before_end.waited_seconds, 0) * 1000000 as bigint)'
            ) }}
        end as adjusted_end_at,
        case
            when rounds_before_end.last_request_open then rounds_before_end.last_requested_index
            else {{ working_minute_index('handled.end_at', 'end_day') }}
                - coalesce(rounds_before_end.waited_minutes, 0)
        end as adjusted_end_index
    from handled
    left join rounds_before_end
        on rounds_before_end.dossier_id = handled.dossier_id
        and rounds_before_end.period_type = handled.period_type
        and rounds_before_end.period_start = handled.period_start
    left join calendar as end_day on end_day.calendar_date = cast(handled.end_at as date)
)

select
    dossier_id,
    unit_code,
    procedure_code,
    period_type,
    period_start,
    evaluated_at,
    end_at,
    terminal_at is not null and terminal_at < evaluated_at as is_terminal,
    requests_before_end,
    adjusted_end_at,
    adjusted_end_index,
    coalesce(appointment_at, statutory_due_at) as due_at,
    case
        when waits_on_repeated_request then true
        when appointment_at is not null then adjusted_end_at > appointment_at
        when statutory_due_index is not null then adjusted_end_index > statutory_due_index
        else false
    end as is_late,
    case
        when appointment_at is not null
            then cast(adjusted_end_at as date) < cast(appointment_at as date)
        else cast(adjusted_end_at as date) < cast(statutory_due_at as date)
    end as is_before_due_date
from adjusted
