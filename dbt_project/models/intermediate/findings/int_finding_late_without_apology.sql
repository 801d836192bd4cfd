-- LATE_WITHOUT_APOLOGY (indices.md §9): late by the index at AS_OF (progress_status LATE or
-- IN_PROGRESS_OVERDUE, §2) with no APOLOGY (form 04) before the original due time.
-- Detected at the original due; a dossier counted late while its due is still ahead (it waits
-- on a second supplement request) is detected at that request. An apology issued after the
-- due resolves it: the written apology the directive asks for exists, late.
{{ kept_by_dossier('int_findings__to_refresh') }}
with

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
    where progress_status in ('LATE', 'IN_PROGRESS_OVERDUE')
      and {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

steps as (
    select * from {{ ref('int_findings__steps') }}
    where action in ('APOLOGY', 'REQUEST_SUPPLEMENT')
      and {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

as_of as (
    select * from {{ ref('int_findings__as_of') }}
),

judged as (
    select
        dossiers.dossier_id,
        dossiers.due_at,
        case
            when dossiers.due_at <= as_of.as_of then dossiers.due_at
            else max(case when steps.action = 'REQUEST_SUPPLEMENT' then steps.step_at end)
        end as detected_at,
        min(case when steps.action = 'APOLOGY' and steps.step_at >= dossiers.due_at
            then steps.step_at end) as resolved_at,
        coalesce(bool_or(steps.action = 'APOLOGY' and steps.step_at < dossiers.due_at), false)
            as apologised_in_time
    from dossiers
    cross join as_of
    left join steps on steps.dossier_id = dossiers.dossier_id
    group by dossiers.dossier_id, dossiers.due_at, as_of.as_of
)

select
    'LATE_WITHOUT_APOLOGY' as finding_code,
    dossier_id,
    detected_at,
    resolved_at,
    case
        when detected_at = due_at then 'Hồ sơ quá hạn từ ' || {{ vi_instant('due_at') }}
        else 'Hồ sơ bị tính quá hạn từ ' || {{ vi_instant('detected_at') }}
            || ' (chờ bổ sung lần thứ hai; hạn trả ' || {{ vi_instant('due_at') }} || ')'
    end
    || case
        when resolved_at is null
            then ' nhưng không có văn bản xin lỗi (mẫu 04) trước hạn trả kết quả.'
        else ' nhưng văn bản xin lỗi (mẫu 04) chỉ được ban hành lúc '
            || {{ vi_instant('resolved_at') }} || ', sau hạn trả kết quả.'
    end as detail_vi
from judged
where not apologised_in_time
  and detected_at is not null
