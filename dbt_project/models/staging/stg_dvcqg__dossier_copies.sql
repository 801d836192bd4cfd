-- National synced copies of the dossiers (DongBoHoSoMC, sources.md B.1): the latest landed
-- version of each copy (by NgayDongBo). Dates were parsed at landing from `yyyyMMddHHmmss`
-- Vietnam time; the applicant was hashed and free text reduced to its length there.
-- Materialized as a table (not the staging default, a view): read by many models, it is
-- computed once per build instead of once per reader (same rows either way).
{{ config(materialized='table') }}
with

source as (
    select * from {{ source('raw', 'dvcqg_dossier_copies') }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by national_code order by synced_at desc, _extracted_at desc, _run_id desc
    ) = 1
),

renamed as (
    select
        national_code,
        unit_code,
        procedure_code,
        cast(channel as integer) as channel,
        received_at,
        due_at,
        finished_at,
        returned_at,
        cast(status as integer) as national_status,
        synced_at,
        cast(coalesce({{ list_length('fees') }}, 0) as integer) as fee_line_count,
        cast(online_payment_kind as integer) as online_payment_kind,
        coalesce(has_digitized_component, false) as has_digitized_component
    from latest
)

select * from renamed
