-- NOT_DIGITIZED (indices.md §9): a received dossier with no digitised COMPONENT file. The
-- counter digitises at reception, so it applies from the reception; files carry no date, so
-- it stays open while the record shows no digitised component (then the row leaves).
{{ kept_by_dossier('int_findings__to_refresh') }}
with

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
    where is_received and not is_digitized
      and {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
)

select
    'NOT_DIGITIZED' as finding_code,
    dossier_id,
    received_at as detected_at,
    cast(null as {{ instant_type() }}) as resolved_at,
    'Hồ sơ tiếp nhận lúc ' || {{ vi_instant('received_at') }}
    || ' không có thành phần hồ sơ nào được số hóa.' as detail_vi
from dossiers
