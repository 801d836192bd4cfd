-- One row per counted dossier (received, not an inter-agency copy; indices.md §0.2) with the
-- facts the reception-window indicators of §1, §3, §4, §5 and §6 test. Everything here is
-- "known at AS_OF" (§0.1: files, fee lines and payments, national copy, ratings, PAKN links,
-- VNeID / population-database flags); dated events (finished_at) are cut at T by the models
-- that use them.
{{ kept_by_dossier('int_dossiers__changed') }}
with

dossiers as (
    select * from {{ ref('stg_motcua__dossiers') }}
    where accepted_at is not null
      and national_status not in (1, 3)
      and not inter_agency_copy
      and {{ only_changed('dossier_id', 'int_dossiers__changed') }}
),

events as (
    select * from {{ ref('int_dossier_events') }}
),

versions as (
    select * from {{ ref('stg_motcua__procedures') }}
),

current_versions as (
    select * from {{ ref('int_procedures__current') }}
),

-- MaHoSo = nationCode (never `code`, §1). One row per national code: the staging model keeps
-- the latest version of each (a row_number over the code), so no copy can fan out.
national_copies as (
    select national_code, fee_line_count
    from {{ ref('stg_dvcqg__dossier_copies') }}
    where national_code is not null
),

petition_links as (
    select distinct national_code
    from {{ ref('stg_dvcqg__petitions') }}
    where national_code is not null
),

flagged as (
    select
        dossiers.dossier_id,
        dossiers.national_code,
        dossiers.unit_code,
        dossiers.procedure_code,
        dossiers.channel,
        dossiers.accepted_at as received_at,
        events.finished_at,
        -- The dossier's own catalogue version decides fee and result rules; the current version
        -- only when the dossier names no known version.
        coalesce(versions.fee_amount, current_versions.fee_amount, 0) > 0 as fee_bearing,
        coalesce(versions.result_is_document, current_versions.result_is_document, false)
            as result_is_document,
        coalesce(versions.citizen_facing, current_versions.citizen_facing, false) as citizen_facing,
        dossiers.has_e_result,
        dossiers.has_result_file,
        dossiers.has_digitized_component,
        dossiers.has_reused_file,
        dossiers.uses_citizen_store,
        dossiers.uses_citizen_data,
        dossiers.has_payable_fee,
        dossiers.paid_online,
        national_copies.national_code is not null as has_national_copy,
        coalesce(national_copies.fee_line_count, 0) > 0 as national_copy_has_fees,
        dossiers.rating,
        petition_links.national_code is not null as linked_to_petition
    from dossiers
    left join events on events.dossier_id = dossiers.dossier_id
    left join versions on versions.procedure_version_id = dossiers.procedure_version_id
    left join current_versions on current_versions.procedure_code = dossiers.procedure_code
    left join national_copies on national_copies.national_code = dossiers.national_code
    left join petition_links on petition_links.national_code = dossiers.national_code
)

select * from flagged
