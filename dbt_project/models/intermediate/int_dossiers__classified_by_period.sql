-- Each handled dossier in each period (PROGRESS_ON_TIME's population, indices.md §2) classified
-- for the deadline metrics of §8 at T: completed early / on time / late (finished, first status
-- 9 else 10, before T), withdrawn or stopped (terminal 7 or 8 before T), else in progress within
-- or past its due. Lateness is the index's (supplement adjustment included). Processing time is
-- reception to finish in working days; days late run from the due instant to the adjusted end.
{{ kept_by_dossier('int_dossiers__to_refresh', post_hook="{{ refresh_evaluated_at() }}") }}
-- depends_on: {{ ref('int_periods') }}
with

handled as (
    select * from {{ ref('int_progress_on_time__dossier_periods') }}
    where period_type <> 'as_of'
      and {{ only_changed('dossier_id', 'int_dossiers__to_refresh') }}
),

dossiers as (
    select dossier_id, received_at, finished_at from {{ ref('int_dossiers__flagged') }}
),

events as (
    select dossier_id, withdrawn_at, terminal_at from {{ ref('int_dossier_events') }}
),

due as (
    select dossier_id, received_index from {{ ref('int_dossiers__statutory_due') }}
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

classified as (
    select
        handled.dossier_id,
        handled.unit_code,
        handled.period_type,
        handled.period_start,
        handled.evaluated_at,
        dossiers.received_at >= cast(handled.period_start as {{ instant_type() }}) as is_received_in_period,
        handled.is_late,
        handled.requests_before_end,
        case
            when not handled.is_terminal and handled.is_late then 'IN_PROGRESS_OVERDUE'
            when not handled.is_terminal then 'IN_PROGRESS_WITHIN_DUE'
            when dossiers.finished_at is null and events.withdrawn_at = events.terminal_at
                then 'WITHDRAWN'
            when dossiers.finished_at is null then 'STOPPED'
            when handled.is_late then 'COMPLETED_LATE'
            when handled.is_before_due_date then 'COMPLETED_EARLY'
            else 'COMPLETED_ON_TIME'
        end as deadline_class,
        case when handled.is_terminal and dossiers.finished_at is not null
            then ({{ working_minute_index('dossiers.finished_at', 'finished_day') }}
                - due.received_index) / 480.0
        end as processing_working_days,
        case when handled.is_late
            then greatest(
                handled.adjusted_end_index - {{ working_minute_index('handled.due_at', 'due_day') }},
                0
            ) / 480.0
        end as working_days_late
    from handled
    inner join dossiers on dossiers.dossier_id = handled.dossier_id
    left join events on events.dossier_id = handled.dossier_id
    left join due on due.dossier_id = handled.dossier_id
    left join calendar as finished_day
        on finished_day.calendar_date = cast(dossiers.finished_at as date)
    left join calendar as due_day on due_day.calendar_date = cast(handled.due_at as date)
)

select * from classified
