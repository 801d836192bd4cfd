-- RESULT_NOT_DELIVERED_ON_PAPER (indices.md §9): finished (status 9, else 10) for a procedure
-- whose result is a document, returned at the counter (resultDelivery COUNTER), and no
-- RESULT_TO_COUNTER within 1 working day after finishing (a hand-over before finishing
-- counts), once that day has passed. Detected when the day runs out; it stops applying at a
-- late hand-over or when the result is handed to the applicant at the counter (RETURN), which
-- shows the paper reached the counter: nothing is left to do.
{{ kept_by_dossier('int_findings__to_refresh') }}
with

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
    where finished_at is not null
      and result_is_document
      and result_delivery = 'COUNTER'
      and {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

hand_overs as (
    select dossier_id, action, step_at, step_index
    from {{ ref('int_findings__steps') }}
    where action in ('RESULT_TO_COUNTER', 'RETURN')
      and {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

rule as (
    select grace_minutes from {{ ref('finding_catalog') }}
    where finding_code = 'RESULT_NOT_DELIVERED_ON_PAPER'
),

as_of as (
    select * from {{ ref('int_findings__as_of') }}
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

finished as (
    select
        dossiers.dossier_id,
        dossiers.finished_at,
        {{ working_minute_index('dossiers.finished_at', 'finished_day') }} + rule.grace_minutes
            as grace_index
    from dossiers
    cross join rule
    inner join calendar as finished_day
        on finished_day.calendar_date = cast(dossiers.finished_at as date)
),

judged as (
    select
        finished.dossier_id,
        finished.finished_at,
        finished.grace_index,
        coalesce(bool_or(
            hand_overs.action = 'RESULT_TO_COUNTER' and hand_overs.step_index <= finished.grace_index
        ), false) as handed_over_in_time,
        {{ arg_min_of('hand_overs.action', 'hand_overs.step_at') }} filter (
            where hand_overs.step_index > finished.grace_index
        ) as resolved_by,
        min(hand_overs.step_at) filter (where hand_overs.step_index > finished.grace_index)
            as resolved_at
    from finished
    cross join as_of
    left join hand_overs on hand_overs.dossier_id = finished.dossier_id
    where finished.grace_index <= as_of.as_of_index
    group by finished.dossier_id, finished.finished_at, finished.grace_index
),

dated as (
    select
        judged.*,
        {{ instant_in_office_day('grace_day.calendar_date', 'judged.grace_index - grace_day.working_day_ordinal * 480') }}
            as detected_at
    from judged
    inner join calendar as grace_day
        on grace_day.is_working_day
        and grace_day.working_day_ordinal = {{ due_day_ordinal('judged.grace_index') }}
    where not judged.handed_over_in_time
)

select
    'RESULT_NOT_DELIVERED_ON_PAPER' as finding_code,
    dossier_id,
    detected_at,
    resolved_at,
    'Hồ sơ giải quyết xong lúc ' || {{ vi_instant('finished_at') }}
    || ' (kết quả là giấy tờ, trả tại Bộ phận Một cửa) nhưng '
    || case
        when resolved_at is null then 'đến nay chưa chuyển kết quả về Bộ phận Một cửa'
        when resolved_by = 'RETURN' then 'không ghi bước chuyển kết quả về Bộ phận Một cửa (kết quả trả cho công dân lúc '
            || {{ vi_instant('resolved_at') }} || ')'
        else 'kết quả chỉ được chuyển về Bộ phận Một cửa lúc ' || {{ vi_instant('resolved_at') }}
    end
    || '; hạn chuyển là ' || {{ vi_instant('detected_at') }} || '.' as detail_vi
from dated
