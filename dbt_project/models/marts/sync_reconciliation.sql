-- Sync reconciliation (warehouse.md): per unit and reception day, the dossiers the one-stop
-- system received against the copies the national portal holds (MaHoSo = nationCode, never
-- `code`). A one-stop dossier counts for its receiving unit and reception date; a national copy
-- for its MaDonViXuLy and NgayTiepNhan. Statuses are compared as known at AS_OF. Only days with
-- a reception on either side have a row.
with

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

-- Each received dossier with its national copy, unless that copy is an inter-agency copy's.
dossiers as (
    select
        dossiers.unit_code,
        dossiers.received_at,
        dossiers.national_status,
        dossiers.has_copy and inter_agency_codes.national_code is null as is_synced,
        case when inter_agency_codes.national_code is null then dossiers.copy_status end
            as copy_status,
        case when inter_agency_codes.national_code is null then dossiers.synced_at end
            as synced_at,
        -- The change the copy's last sync carried: the latest one-stop step at or before it.
        case when inter_agency_codes.national_code is null then dossiers.last_step_before_sync end
            as last_step_before_sync
    from {{ ref('int_dossiers__national_copies') }} as dossiers
    left join inter_agency_codes on inter_agency_codes.national_code = dossiers.national_code
),

one_stop as (
    select
        unit_code,
        cast(received_at as date) as date,
        count(*) as received_one_stop,
        count(case when is_synced then 1 end) as synced,
        count(*) - count(case when is_synced then 1 end) as not_synced,
        count(case when copy_status <> national_status then 1 end) as status_out_of_sync,
        {{ continuous_quantile(
            '(' ~ epoch_seconds('synced_at') ~ ' - '
                ~ epoch_seconds('last_step_before_sync') ~ ') / 3600.0',
            0.5
        ) }} as median_sync_lag_hours
    from dossiers
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
