{{ config(meta={"dagster": {"ref": {"name": "load_log"}}}) }}
-- Reject-rate check (issue 7): the latest landing of every source asset refused at most
-- var('max_reject_rate') of the records it read (the landing itself fails above it; this check
-- shows the figure in the UI and catches a threshold raised by mistake).
with

latest as (
    select *
    from {{ ref('load_log') }}
    qualify row_number() over (partition by source, asset order by finished_at desc) = 1
)

select source, asset, run_id, records_read, records_rejected
from latest
where records_read > 0
  and cast(records_rejected as double) / records_read > {{ var('max_reject_rate', 0.05) }}
