-- One line per landing asset and run (warehouse.md `audit.load_log`).
select
    run_id,
    source,
    asset,
    started_at,
    finished_at,
    records_read,
    records_landed,
    records_rejected,
    watermark_from,
    watermark_to
from {{ source('raw', 'audit_load_log') }}
