-- PROGRESS_ON_TIME (indices.md §2) evaluated for every handled dossier and period.
-- handled: received (accepted before T) and not terminal before the period starts.
-- end E: the terminal event if before T, else T. Supplement adjustment: every completed
-- round's waiting time is subtracted from E; if the last request is still open at E, E is that
-- request's time after exactly one request, and the dossier is late after two or more.
-- on time: adjusted E <= the original appointment (NgayHenTra), else, with no appointment,
-- the statutory due instant compared in working minutes. The `as_of` period gives each
-- dossier's own status at AS_OF (fct_dossier.progress_status). Several rows per dossier: only
-- the columns its readers use are kept (the indicators, int_dossiers__classified_by_period,
-- fct_dossier); per-dossier values (terminal index, due date) are computed once per dossier.
{{ kept_by_dossier('int_dossiers__to_refresh', post_hook="{{ refresh_evaluated_at() }}") }}
-- E of a round's dossier in a period (the terminal event if before T, else T).
{% set end_at = 'case when events.terminal_at < periods.evaluated_at then events.terminal_at else periods.evaluated_at end' %}
with

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

-- What the rule needs of each dossier, computed once per dossier rather than per period: the
-- terminal event's working-minute index, the due instant and the start of its local date.
-- The three per-dossier inputs (one row per dossier each) are put together by one grouping
-- rather than two joins: the joins kept both 3 M-row hash tables in memory DuckDB could not
-- spill (0.9 GB at 3 M dossiers; the build ran out of memory beside another big node, dbt
-- threads: 2), a grouping spills.
dossier_parts as (
    select
        dossier_id,
        max(unit_code) as unit_code,
        max(accepted_at) as accepted_at,
        max(appointment_at) as appointment_at,
        max(terminal_at) as terminal_at,
        max(statutory_due_index) as statutory_due_index,
        max(statutory_due_at) as statutory_due_at,
        bool_or(is_counted) as is_counted
    from (
        select
            dossier_id,
            unit_code,
            accepted_at,
            appointment_at,
            cast(null as {{ instant_type() }}) as terminal_at,
            cast(null as double) as statutory_due_index,
            cast(null as {{ instant_type() }}) as statutory_due_at,
            true as is_counted
        from {{ ref('stg_motcua__dossiers') }}
        where accepted_at is not null
          and national_status not in (1, 3)
          and not inter_agency_copy
          and {{ only_changed('dossier_id', 'int_dossiers__to_refresh') }}
        union all
        select dossier_id, null, null, null, terminal_at, null, null, false
        from {{ ref('int_dossier_events') }}
        where {{ only_changed('dossier_id', 'int_dossiers__to_refresh') }}
        union all
        select dossier_id, null, null, null, null, statutory_due_index, statutory_due_at, false
        from {{ ref('int_dossiers__statutory_due') }}
        where {{ only_changed('dossier_id', 'int_dossiers__to_refresh') }}
    ) as parts
    group by dossier_id
),

dossiers as (
    select
        dossiers.dossier_id,
        dossiers.unit_code,
        dossiers.accepted_at,
        dossiers.appointment_at,
        dossiers.terminal_at,
        -- Open until the terminal event; a dossier never terminal is open in every period
        -- (each starts before AS_OF).
        coalesce(dossiers.terminal_at, {{ as_of() }}) as open_until,
        {{ working_minute_index('dossiers.terminal_at', 'terminal_day') }} as terminal_index,
        dossiers.statutory_due_index,
        coalesce(dossiers.appointment_at, dossiers.statutory_due_at) as due_at,
        -- Ending on an earlier calendar date than the due date is ending before its first instant.
        cast(cast(coalesce(dossiers.appointment_at, dossiers.statutory_due_at) as date) as {{ instant_type() }})
            as due_date_starts_at
    from dossier_parts as dossiers
    left join calendar as terminal_day
        on terminal_day.calendar_date = cast(dossiers.terminal_at as date)
    where dossiers.is_counted
),

-- Each period with the working-minute index of its evaluation instant T.
periods as (
    select
        periods.period_type,
        periods.period_start,
        periods.starts_at,
        periods.evaluated_at,
        {{ working_minute_index('periods.evaluated_at', 'evaluated_day') }} as evaluated_index
    from {{ ref('int_periods') }} as periods
    left join calendar as evaluated_day
        on evaluated_day.calendar_date = cast(periods.evaluated_at as date)
),

-- The supplement rounds of each period, aggregated before the dossier x period rows are made:
-- only dossiers with a round have rows here (few), and the dossier x period rows below are
-- read once, streamed into the table (a CTE read twice is materialized whole by DuckDB). A
-- period holds a dossier's rounds requested before its end E (the terminal event if before T,
-- else T); the join below keeps the periods the dossier is handled in.
rounds_before_end as (
    select
        rounds.dossier_id,
        periods.period_type,
        periods.period_start,
        count(*) as requests_before_end,
        sum(case when rounds.received_at < {{ end_at }}
            then {{ epoch_seconds('rounds.received_at') }} - {{ epoch_seconds('rounds.requested_at') }}
            else 0 end) as waited_seconds,
        sum(case when rounds.received_at < {{ end_at }}
            then rounds.received_index - rounds.requested_index else 0 end) as waited_minutes,
        {{ arg_max_of('rounds.requested_at', 'rounds.round_no') }} as last_requested_at,
        {{ arg_max_of('rounds.requested_index', 'rounds.round_no') }} as last_requested_index,
        {{ arg_max_of(
            'rounds.received_at is null or rounds.received_at >= ' ~ end_at, 'rounds.round_no'
        ) }} as last_request_open
    from {{ ref('int_supplement_rounds') }} as rounds
    left join {{ ref('int_dossier_events') }} as events on events.dossier_id = rounds.dossier_id
    inner join periods
        on coalesce(events.terminal_at, {{ as_of() }}) >= periods.starts_at
        and rounds.requested_at < {{ end_at }}
    where {{ only_changed('rounds.dossier_id', 'int_dossiers__to_refresh') }}
    group by rounds.dossier_id, periods.period_type, periods.period_start
),

-- Each handled dossier in each period (received before T, not terminal before the period
-- starts) with its end E, adjusted by the rounds before it.
adjusted as (
    select
        dossiers.dossier_id,
        dossiers.unit_code,
        dossiers.appointment_at,
        dossiers.statutory_due_index,
        dossiers.due_at,
        dossiers.due_date_starts_at,
        periods.period_type,
        periods.period_start,
        periods.evaluated_at,
        coalesce(dossiers.terminal_at < periods.evaluated_at, false) as is_terminal,
        coalesce(rounds_before_end.requests_before_end, 0) as requests_before_end,
        coalesce(rounds_before_end.last_request_open, false)
            and rounds_before_end.requests_before_end >= 2 as waits_on_repeated_request,
        case
            when rounds_before_end.last_request_open then rounds_before_end.last_requested_at
            else {{ add_microseconds(
                'case when dossiers.terminal_at < periods.evaluated_at then dossiers.terminal_at'
                ~ ' else periods.evaluated_at end',
                '-cast(coalesce(rounds_before_end.waited_seconds, 0) * 1000000 as bigint)'
            ) }}
        end as adjusted_end_at,
        case
            when rounds_before_end.last_request_open then rounds_before_end.last_requested_index
            else case
                when dossiers.terminal_at < periods.evaluated_at then dossiers.terminal_index
                else periods.evaluated_index
            end - coalesce(rounds_before_end.waited_minutes, 0)
        end as adjusted_end_index
    from dossiers
    inner join periods
        on dossiers.accepted_at < periods.evaluated_at
        and dossiers.open_until >= periods.starts_at
    left join rounds_before_end
        on rounds_before_end.dossier_id = dossiers.dossier_id
        and rounds_before_end.period_type = periods.period_type
        and rounds_before_end.period_start = periods.period_start
)

select
    dossier_id,
    unit_code,
    period_type,
    period_start,
    evaluated_at,
    is_terminal,
    requests_before_end,
    adjusted_end_index,
    due_at,
    case
        when waits_on_repeated_request then true
        when appointment_at is not null then adjusted_end_at > appointment_at
        when statutory_due_index is not null then adjusted_end_index > statutory_due_index
        else false
    end as is_late,
    adjusted_end_at < due_date_starts_at as is_before_due_date
from adjusted
