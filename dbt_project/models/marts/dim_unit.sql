-- Units before and after the 2025 reorganisation, versioned by validity, plus one row per
-- continuity area (domain.md §2, warehouse.md).
with

units as (
    select * from {{ ref('int_units') }}
),

areas as (
    select distinct area_code, area_name from {{ ref('area_membership') }}
)

select
    unit_code,
    unit_name,
    unit_level,
    parent_unit_code,
    gso_code,
    valid_from,
    valid_to,
    successor_unit_code
from units
union all
select
    area_code,
    area_name,
    'AREA',
    cast(null as string),
    cast(null as string),
    cast(null as date),
    cast(null as date),
    cast(null as string)
from areas
