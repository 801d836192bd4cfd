-- The row spine of every per-unit mart: each roll-up row of each unit for every period that
-- overlaps the unit's validity (indices.md §0.1); AREA rows for every period.
with

units as (
    select unit_code, valid_from, valid_to from {{ ref('int_units') }}
    where unit_level <> 'PROVINCE'
),

periods as (
    select * from {{ ref('int_periods') }} where period_type <> 'as_of'
),

unit_rows as (
    select rollups.rollup, units.unit_code, periods.*
    from units
    inner join (select distinct rollup from {{ ref('int_unit_rollups') }} where rollup <> 'AREA') as rollups on true
    inner join periods
        on units.valid_from <= periods.period_end
        and (units.valid_to is null or units.valid_to >= periods.period_start)
),

area_rows as (
    select 'AREA' as rollup, areas.area_code as unit_code, periods.*
    from (select distinct area_code from {{ ref('area_membership') }}) as areas
    cross join periods
)

select * from unit_rows
union all
select * from area_rows
