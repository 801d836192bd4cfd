-- Per unit and day: synced + not synced = received; a status can only be out of sync on a
-- synced dossier; a lag exists exactly when something is synced and is never negative.
select *
from {{ ref('sync_reconciliation') }}
where synced + not_synced <> received_one_stop
   or status_out_of_sync > synced
   or (synced > 0) <> (median_sync_lag_hours is not null)
   or median_sync_lag_hours < 0
