-- PAUSED_WITHOUT_EXPLANATION (indices.md §9): a REQUEST_SUPPLEMENT or REQUEST_FINANCIAL with
-- no written reason, or with no CONTACT_CITIZEN within 1 working day after it, once that day
-- has passed. A pause the citizen ended within the day (supplement received, obligation paid,
-- or the dossier left the process) needed no call. The missing call is detected when the day
-- runs out and closes at the first (late) contact or at the end of the pause; a missing
-- written reason describes the record and stays open. One row per dossier: the earliest
-- offending pause, open while any offending pause is.
{{ kept_by_dossier('int_findings__to_refresh') }}
with

steps as (
    select * from {{ ref('int_findings__steps') }}
    where {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

pauses as (
    select * from steps where action in ('REQUEST_SUPPLEMENT', 'REQUEST_FINANCIAL')
),

rule as (
    select grace_minutes from {{ ref('finding_catalog') }}
    where finding_code = 'PAUSED_WITHOUT_EXPLANATION'
),

as_of as (
    select * from {{ ref('int_findings__as_of') }}
),

working_days as (
    select * from {{ ref('int_calendar__working_days') }} where is_working_day
),

-- The pause ends at the first later step with a status other than 5 (supplement) or 6
-- (financial obligation); steps that keep the status (a CONTACT_CITIZEN) do not end it.
followed as (
    select
        pauses.dossier_id,
        pauses.step_seq,
        pauses.step_at,
        pauses.step_index,
        pauses.action,
        pauses.has_note,
        min(case when later.action = 'CONTACT_CITIZEN' then later.step_at end) as contacted_at,
        min(case when later.action = 'CONTACT_CITIZEN' then later.step_index end) as contacted_index,
        min(case when later.national_status not in (5, 6) then later.step_at end) as ended_at,
        min(case when later.national_status not in (5, 6) then later.step_index end) as ended_index
    from pauses
    left join steps as later
        on later.dossier_id = pauses.dossier_id
        and (later.step_at > pauses.step_at
            or (later.step_at = pauses.step_at and later.step_seq > pauses.step_seq))
    group by all
),

judged as (
    select
        followed.*,
        followed.step_index + rule.grace_minutes as grace_index,
        followed.step_index + rule.grace_minutes <= as_of.as_of_index
            and coalesce(followed.contacted_index > followed.step_index + rule.grace_minutes, true)
            and coalesce(followed.ended_index > followed.step_index + rule.grace_minutes, true)
            as lacks_contact
    from followed
    cross join rule
    cross join as_of
),

offending as (
    select
        judged.*,
        {{ instant_in_office_day('grace_day.calendar_date', 'judged.grace_index - grace_day.working_day_ordinal * 480') }}
            as grace_at
    from judged
    inner join working_days as grace_day
        on grace_day.working_day_ordinal = {{ due_day_ordinal('judged.grace_index') }}
    where judged.lacks_contact or not judged.has_note
),

described as (
    select
        dossier_id,
        case when not has_note then step_at else grace_at end as detected_at,
        case when has_note then least(contacted_at, ended_at) end as resolved_at,
        case when action = 'REQUEST_SUPPLEMENT'
            then 'Yêu cầu bổ sung hồ sơ lúc ' else 'Yêu cầu thực hiện nghĩa vụ tài chính lúc ' end
        || {{ vi_instant('step_at') }}
        || case
            when not has_note and lacks_contact then ' không nêu lý do bằng văn bản và không liên hệ công dân'
            when not has_note then ' không nêu lý do bằng văn bản'
            else ' không liên hệ công dân'
        end
        || case when lacks_contact
            then ' trong vòng 1 ngày làm việc (đến ' || {{ vi_instant('grace_at') }} || ')' else '' end
        || case
            when not has_note or not lacks_contact then ''
            when contacted_at is not null and contacted_at <= coalesce(ended_at, contacted_at)
                then '; chỉ liên hệ công dân lúc ' || {{ vi_instant('contacted_at') }}
            when ended_at is not null
                then '; tạm dừng kết thúc lúc ' || {{ vi_instant('ended_at') }} || ' mà không liên hệ công dân'
            else ''
        end as pause_detail
    from offending
)

select
    'PAUSED_WITHOUT_EXPLANATION' as finding_code,
    dossier_id,
    min(detected_at) as detected_at,
    case when bool_or(resolved_at is null) then null else max(resolved_at) end as resolved_at,
    {{ arg_min_of('pause_detail', 'detected_at') }}
    || case when count(*) > 1 then ' (cùng ' || (count(*) - 1) || ' lần tạm dừng khác)' else '' end
    || '.' as detail_vi
from described
group by dossier_id
