-- Deadline metrics (indices.md §8) per unit, roll-up and period, over the spine of every
-- per-unit mart: reception, carry-over and the handled dossiers' state at T, supplement and
-- apology activity, processing time and lateness in working days, and the channel mix.
-- handled = received + carried_over = completed_on_time + completed_late + withdrawn + stopped
-- + in_progress_within_due + in_progress_overdue.
with

spine as (
    select * from {{ ref('int_unit_periods') }}
),

rollups as (
    select * from {{ ref('int_unit_rollups') }}
),

periods as (
    select * from {{ ref('int_periods') }}
    where period_type <> 'as_of'
),

classified as (
    select * from {{ ref('int_dossiers__classified_by_period') }}
),

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
),

counted_dossiers as (
    select dossier_id, unit_code from {{ ref('int_dossiers__flagged') }}
),

-- Dated steps counted in the period they happen in (cut at T).
activity_steps as (
    select steps.dossier_id, steps.action, steps.step_at
    from {{ ref('stg_motcua__dossier_steps') }} as steps
    where steps.action in ('REQUEST_SUPPLEMENT', 'APOLOGY')
),

-- Refused at the counter (national status 3): never received, so outside every indicator;
-- counted when the refusal happens, for the unit the dossier was submitted to.
refusals as (
    select dossiers.unit_code, min(steps.step_at) as refused_at
    from {{ ref('stg_motcua__dossiers') }} as dossiers
    inner join {{ ref('stg_motcua__dossier_steps') }} as steps
        on steps.dossier_id = dossiers.dossier_id
        and steps.national_status = 3
    where dossiers.national_status = 3
      and not dossiers.inter_agency_copy
    group by dossiers.dossier_id, dossiers.unit_code
),

handled_in_rollups as (
    select
        rollups.rollup,
        rollups.unit_code,
        classified.period_type,
        classified.period_start,
        count(*) as handled,
        count(case when not classified.is_received_in_period then 1 end) as carried_over,
        count(case when classified.deadline_class = 'COMPLETED_EARLY' then 1 end)
            as completed_early,
        count(case
            when classified.deadline_class in ('COMPLETED_EARLY', 'COMPLETED_ON_TIME') then 1
        end) as completed_on_time,
        count(case when classified.deadline_class = 'COMPLETED_LATE' then 1 end) as completed_late,
        count(case when classified.deadline_class = 'IN_PROGRESS_WITHIN_DUE' then 1 end)
            as in_progress_within_due,
        count(case when classified.deadline_class = 'IN_PROGRESS_OVERDUE' then 1 end)
            as in_progress_overdue,
        count(case when classified.deadline_class = 'WITHDRAWN' then 1 end) as withdrawn,
        count(case when classified.deadline_class = 'STOPPED' then 1 end) as stopped,
        count(case when classified.requests_before_end >= 1 then 1 end) as dossiers_with_supplement,
        count(case when classified.requests_before_end >= 2 then 1 end)
            as dossiers_with_2plus_supplements,
        count(case when not classified.is_late then 1 end) as on_time,
        avg(classified.processing_working_days) as processing_working_days_mean,
        -- Both quantiles from one state: a quantile holds every value of its group in memory
        -- the engine cannot spill (one per dossier x period x roll-up row, ~34 M at 3 M
        -- dossiers); two states took ~0.7 GB, which ran the build out of memory beside
        -- another big node (dbt threads: 2).
        {{ continuous_quantiles('classified.processing_working_days', [0.5, 0.9]) }}
            as processing_working_days_quantiles,
        avg(classified.working_days_late) as working_days_late_mean,
        max(classified.working_days_late) as working_days_late_max
    from classified
    inner join rollups on rollups.member_unit_code = classified.unit_code
    group by rollups.rollup, rollups.unit_code, classified.period_type, classified.period_start
),

received_per_unit as (
    select
        unit_code,
        period_type,
        period_start,
        count(*) as received,
        count(case when channel = 1 then 1 end) as received_at_counter,
        count(case when channel = 2 then 1 end) as received_online,
        count(case when channel = 3 then 1 end) as received_by_post
    from received
    group by unit_code, period_type, period_start
),

activity_per_unit as (
    select
        counted_dossiers.unit_code,
        periods.period_type,
        periods.period_start,
        count(case when activity_steps.action = 'REQUEST_SUPPLEMENT' then 1 end)
            as supplement_requests,
        count(case when activity_steps.action = 'APOLOGY' then 1 end) as apologies_issued,
        0 as refused_at_counter
    from activity_steps
    inner join counted_dossiers on counted_dossiers.dossier_id = activity_steps.dossier_id
    inner join periods
        on activity_steps.step_at >= periods.starts_at
        and activity_steps.step_at < periods.evaluated_at
    group by counted_dossiers.unit_code, periods.period_type, periods.period_start
    union all
    select
        refusals.unit_code,
        periods.period_type,
        periods.period_start,
        0,
        0,
        count(*)
    from refusals
    inner join periods
        on refusals.refused_at >= periods.starts_at
        and refusals.refused_at < periods.evaluated_at
    group by refusals.unit_code, periods.period_type, periods.period_start
),

received_in_rollups as (
    select
        rollups.rollup,
        rollups.unit_code,
        received_per_unit.period_type,
        received_per_unit.period_start,
        sum(received_per_unit.received) as received,
        sum(received_per_unit.received_at_counter) as received_at_counter,
        sum(received_per_unit.received_online) as received_online,
        sum(received_per_unit.received_by_post) as received_by_post
    from received_per_unit
    inner join rollups on rollups.member_unit_code = received_per_unit.unit_code
    group by
        rollups.rollup,
        rollups.unit_code,
        received_per_unit.period_type,
        received_per_unit.period_start
),

activity_in_rollups as (
    select
        rollups.rollup,
        rollups.unit_code,
        activity_per_unit.period_type,
        activity_per_unit.period_start,
        sum(activity_per_unit.supplement_requests) as supplement_requests,
        sum(activity_per_unit.apologies_issued) as apologies_issued,
        sum(activity_per_unit.refused_at_counter) as refused_at_counter
    from activity_per_unit
    inner join rollups on rollups.member_unit_code = activity_per_unit.unit_code
    group by
        rollups.rollup,
        rollups.unit_code,
        activity_per_unit.period_type,
        activity_per_unit.period_start
),

joined as (
    select
        spine.unit_code,
        spine.rollup,
        spine.period_type,
        spine.period_start,
        spine.period_end,
        spine.evaluated_at as as_of,
        cast(coalesce(received_in_rollups.received, 0) as bigint) as received,
        cast(coalesce(handled_in_rollups.carried_over, 0) as bigint) as carried_over,
        cast(coalesce(handled_in_rollups.handled, 0) as bigint) as handled,
        cast(coalesce(handled_in_rollups.completed_early, 0) as bigint) as completed_early,
        cast(coalesce(handled_in_rollups.completed_on_time, 0) as bigint) as completed_on_time,
        cast(coalesce(handled_in_rollups.completed_late, 0) as bigint) as completed_late,
        cast(coalesce(handled_in_rollups.in_progress_within_due, 0) as bigint)
            as in_progress_within_due,
        cast(coalesce(handled_in_rollups.in_progress_overdue, 0) as bigint) as in_progress_overdue,
        cast(coalesce(handled_in_rollups.withdrawn, 0) as bigint) as withdrawn,
        cast(coalesce(handled_in_rollups.stopped, 0) as bigint) as stopped,
        cast(coalesce(activity_in_rollups.refused_at_counter, 0) as bigint) as refused_at_counter,
        cast(coalesce(activity_in_rollups.supplement_requests, 0) as bigint) as supplement_requests,
        cast(coalesce(handled_in_rollups.dossiers_with_supplement, 0) as bigint)
            as dossiers_with_supplement,
        cast(coalesce(handled_in_rollups.dossiers_with_2plus_supplements, 0) as bigint)
            as dossiers_with_2plus_supplements,
        cast(coalesce(activity_in_rollups.apologies_issued, 0) as bigint) as apologies_issued,
        {{ safe_ratio('handled_in_rollups.on_time', 'handled_in_rollups.handled') }}
            as on_time_rate,
        handled_in_rollups.processing_working_days_mean,
        {{ list_item('handled_in_rollups.processing_working_days_quantiles', 1) }}
            as processing_working_days_median,
        {{ list_item('handled_in_rollups.processing_working_days_quantiles', 2) }}
            as processing_working_days_p90,
        handled_in_rollups.working_days_late_mean,
        handled_in_rollups.working_days_late_max,
        {{ safe_ratio('received_in_rollups.received_at_counter', 'received_in_rollups.received') }}
            as counter_share,
        {{ safe_ratio('received_in_rollups.received_online', 'received_in_rollups.received') }}
            as online_share,
        {{ safe_ratio('received_in_rollups.received_by_post', 'received_in_rollups.received') }}
            as postal_share
    from spine
    left join handled_in_rollups
        on handled_in_rollups.rollup = spine.rollup
        and handled_in_rollups.unit_code = spine.unit_code
        and handled_in_rollups.period_type = spine.period_type
        and handled_in_rollups.period_start = spine.period_start
    left join received_in_rollups
        on received_in_rollups.rollup = spine.rollup
        and received_in_rollups.unit_code = spine.unit_code
        and received_in_rollups.period_type = spine.period_type
        and received_in_rollups.period_start = spine.period_start
    left join activity_in_rollups
        on activity_in_rollups.rollup = spine.rollup
        and activity_in_rollups.unit_code = spine.unit_code
        and activity_in_rollups.period_type = spine.period_type
        and activity_in_rollups.period_start = spine.period_start
)

select * from joined
