-- Procedure versions of the catalogue (sources.md A.3), from the latest snapshot.
with

source as (
    select * from {{ source('raw', 'motcua_procedures') }}
),

latest_run as (
    select max(_extracted_at) as extracted_at from source
),

renamed as (
    select
        id as procedure_version_id,
        code as procedure_code,
        name as procedure_name,
        sector_code,
        sector_name,
        level as online_level,
        full_online_eligible,
        processing_time,
        processing_time_unit,
        same_day_cutoff,
        coalesce(fee_amount, 0) as fee_amount,
        result_is_document,
        citizen_facing,
        e_certified_copy,
        applied_agency_codes,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to
    from source
    where _extracted_at = (select extracted_at from latest_run)
)

select * from renamed
