-- Units of the one-stop agency tree with their parent's code (domain.md §2). The province root
-- is configuration: it appears only as a parent.
with

agencies as (
    select * from {{ ref('stg_motcua__agencies') }}
)

select
    agencies.unit_code,
    agencies.unit_name,
    agencies.unit_level,
    parents.unit_code as parent_unit_code,
    agencies.gso_code,
    coalesce(agencies.valid_from, cast('1900-01-01' as date)) as valid_from,
    agencies.valid_to,
    agencies.successor_unit_code
from agencies
left join agencies as parents on parents.agency_id = agencies.parent_agency_id
