-- Each received dossier (inter-agency copies excluded) with its national copy as known at AS_OF
-- (MaHoSo = nationCode, never `code`): whether one exists, its status, when it was last synced
-- and the latest one-stop step at or before that sync (the change the sync carried). Whether
-- the copy is left out as an inter-agency copy's is `sync_reconciliation`'s to decide: it can
-- change with another dossier.
-- Incremental (macros/incremental.sql): a dossier's row changes with its record, its copy
-- (both in `int_dossiers__changed`), its reception status and its steps up to AS_OF (in
-- `int_findings__to_refresh`).
{{ kept_by_dossier('int_findings__to_refresh') }}
with

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
    where is_received
      and {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

copies as (
    select * from {{ ref('stg_dvcqg__dossier_copies') }}
),

synced_steps as (
    select
        dossiers.dossier_id,
        max(steps.step_at) as last_step_before_sync
    from dossiers
    inner join copies on copies.national_code = dossiers.national_code
    inner join {{ ref('int_findings__steps') }} as steps
        on steps.dossier_id = dossiers.dossier_id
        and steps.step_at <= copies.synced_at
    group by dossiers.dossier_id
)

select
    dossiers.dossier_id,
    dossiers.unit_code,
    dossiers.received_at,
    dossiers.national_code,
    dossiers.national_status,
    copies.national_code is not null as has_copy,
    copies.national_status as copy_status,
    copies.synced_at,
    synced_steps.last_step_before_sync
from dossiers
left join copies on copies.national_code = dossiers.national_code
left join synced_steps on synced_steps.dossier_id = dossiers.dossier_id
