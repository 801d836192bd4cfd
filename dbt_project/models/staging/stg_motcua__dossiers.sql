-- One-stop dossiers (sources.md A.4): the latest landed version of each dossier, national
-- status mapped through the seed `motcua_status_map`. Personal data was hashed at landing.
-- A dossier whose unit or procedure the landed catalogues do not know can be neither
-- attributed nor timed: it is left out here and listed in `audit.rejects` (issue 9).
-- Materialized as a table (not the staging default, a view): read by many models, it is
-- computed once per build instead of once per reader (same rows either way).
{{ config(materialized='table') }}
with

source as (
    select * from {{ source('raw', 'motcua_dossiers') }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by id order by updated_at desc, _extracted_at desc, _run_id desc
    ) = 1
),

status_map as (
    select * from {{ ref('motcua_status_map') }}
),

known_units as (
    select distinct unit_code from {{ ref('stg_motcua__agencies') }}
),

known_procedures as (
    select distinct procedure_code from {{ ref('stg_motcua__procedures') }}
),

renamed as (
    select
        latest.id as dossier_id,
        latest.code as dossier_code,
        latest.nation_code as national_code,
        latest.procedure_id as procedure_version_id,
        latest.procedure_code,
        latest.agency_id,
        latest.agency_code as unit_code,
        coalesce(latest.apply_method, 1) as channel,
        latest.result_delivery,
        latest.applicant_type,
        latest.applicant_key,
        latest.submitted_at,
        latest.accepted_at,
        latest.appointment_at,
        latest.completed_at,
        latest.returned_at,
        latest.updated_at as source_updated_at,
        latest.status_id as vendor_status_id,
        status_map.national_status,
        coalesce(latest.vneid_authenticated, false) as vneid_authenticated,
        latest.connected_databases,
        coalesce(latest.inter_agency_copy, false) as inter_agency_copy,
        latest.fees,
        latest.files,
        latest.rating.value as rating,
        latest.rating.rated_at as rated_at,
        latest.history,
        latest.reception_month
    from latest
    left join status_map on status_map.vendor_status_id = latest.status_id
    where latest.agency_code in (select unit_code from known_units)
      and latest.procedure_code in (select procedure_code from known_procedures)
)

select * from renamed
