-- One-stop agencies: the latest snapshot of the agency tree (sources.md A.2).
with

source as (
    select * from {{ source('raw', 'motcua_agencies') }}
),

latest_run as (
    select max(_extracted_at) as extracted_at from source
),

renamed as (
    select
        id as agency_id,
        code as unit_code,
        name as unit_name,
        level as unit_level,
        parent_id as parent_agency_id,
        gso_code,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        successor_code as successor_unit_code
    from source
    where _extracted_at = (select extracted_at from latest_run)
)

select * from renamed
