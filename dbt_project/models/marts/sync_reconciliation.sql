-- Sync reconciliation (warehouse.md): per unit and reception day, the dossiers the one-stop
-- system received against the copies the national portal holds (MaHoSo = nationCode, never
-- `code`). A one-stop dossier counts for its receiving unit and reception date; a national copy
-- for its MaDonViXuLy and NgayTiepNhan. Statuses are compared as known at AS_OF. Only days with
-- a reception on either side have a row.
with

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
    where is_received
),

-- Inter-agency copies are excluded everywhere (indices.md §0.2), also on the national side.
inter_agency_codes as (
    select distinct national_code from {{ ref('stg_motcua__dossiers') }}
    where inter_agency_copy and national_code is not null
),

copies as (
    select copies.*
    from {{ ref('stg_dvcqg__dossier_copies') }} as copies
    left join inter_agency_codes on inter_agency_codes.national_code = copies.national_code
    where inter_agency_codes.national_code is null
),

-- The change the copy's last sync carried: the latest one-stop step at or before NgayDongBo.
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
),

one_stop as (
    select
        dossiers.unit_code,
        cast(dossiers.received_at as date) as date,
        count(*) as received_one_stop,
        count(copies.national_code) as synced,
        count(*) - count(copies.national_code) as not_synced,
        count(case when copies.national_status <> dossiers.national_status then 1 end)
            as status_out_of_sync,
        {{ continuous_quantile(
            '(' ~ epoch_seconds('copies.synced_at') ~ ' - '
                ~ epoch_seconds('synced_steps.last_step_before_sync') ~ ') / 3600.0',
            0.5
        ) }} as median_sync_lag_hours
    from dossiers
    left join copies on copies.national_code = dossiers.national_code
    left join synced_steps on synced_steps.dossier_id = dossiers.dossier_id
    group by all
),

national as (
    select
        unit_code,
        cast(received_at as date) as date,
        count(*) as received_national
    from copies
    where received_at is not null
      and national_status not in (1, 3)
    group by all
)

select
    coalesce(one_stop.unit_code, national.unit_code) as unit_code,
    coalesce(one_stop.date, national.date) as date,
    coalesce(one_stop.received_one_stop, 0) as received_one_stop,
    coalesce(national.received_national, 0) as received_national,
    coalesce(one_stop.synced, 0) as synced,
    coalesce(one_stop.not_synced, 0) as not_synced,
    coalesce(one_stop.status_out_of_sync, 0) as status_out_of_sync,
    one_stop.median_sync_lag_hours,
    {{ as_of() }} as as_of
from one_stop
full outer join national
    on national.unit_code = one_stop.unit_code
    and national.date = one_stop.date
