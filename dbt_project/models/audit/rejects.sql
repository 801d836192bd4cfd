-- Records refused at the edge (warehouse.md `audit.rejects`): reason and redacted payload.
-- A record refused twice in one run (seen on two pages) is listed once.
select
    source,
    source_key,
    _run_id as run_id,
    reason,
    payload_redacted,
    _extracted_at as rejected_at
from {{ source('raw', 'audit_rejects') }}
qualify row_number() over (partition by source, source_key, _run_id order by reason) = 1
