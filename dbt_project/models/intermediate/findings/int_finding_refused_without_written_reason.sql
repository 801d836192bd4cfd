-- REFUSED_WITHOUT_WRITTEN_REASON (indices.md §9): a REFUSE or STOP step, or a step that puts
-- the dossier in status 3 (refused) or 8 (stopped), lacking a document number or a written
-- reason. Steps that leave the status unchanged (an APOLOGY or CONTACT_CITIZEN after a stop)
-- carry status 8 too and are not refusals. It describes the record: it stays open until the
-- record carries the document, when the row leaves the list (one extract cannot say when).
{{ kept_by_dossier('int_findings__to_refresh') }}
with

steps as (
    select
        *,
        lag(national_status) over (partition by dossier_id order by step_at, step_seq)
            as previous_status
    from {{ ref('int_findings__steps') }}
    where {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

refusals as (
    select
        dossier_id,
        step_at,
        step_seq,
        action = 'REFUSE' or (action <> 'STOP' and national_status = 3) as is_refusal,
        document_no is null as lacks_document,
        not has_note as lacks_reason
    from steps
    where action in ('REFUSE', 'STOP')
       or (national_status in (3, 8) and previous_status is distinct from national_status)
),

undocumented as (
    select
        dossier_id,
        count(*) as undocumented_steps,
        min(step_at) as detected_at,
        {{ arg_min_of('is_refusal', 'step_at') }} as is_refusal,
        {{ arg_min_of('lacks_document', 'step_at') }} as lacks_document,
        {{ arg_min_of('lacks_reason', 'step_at') }} as lacks_reason
    from refusals
    where lacks_document or lacks_reason
    group by dossier_id
)

select
    'REFUSED_WITHOUT_WRITTEN_REASON' as finding_code,
    dossier_id,
    detected_at,
    cast(null as {{ instant_type() }}) as resolved_at,
    case when is_refusal then 'Hồ sơ bị từ chối tiếp nhận lúc ' else 'Hồ sơ bị dừng xử lý lúc ' end
    || {{ vi_instant('detected_at') }}
    || case
        when lacks_document and lacks_reason then ' mà không có số văn bản và không nêu lý do'
        when lacks_document then ' mà không có số văn bản'
        else ' mà không nêu lý do bằng văn bản'
    end
    || case when undocumented_steps > 1
        then ' (cùng ' || (undocumented_steps - 1) || ' bước từ chối/dừng khác)' else '' end
    || '.' as detail_vi
from undocumented
