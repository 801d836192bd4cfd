-- Which units' dossiers each roll-up row counts (indices.md §0.2):
-- SELF = the unit itself; SUBTREE = the unit and every unit under it; AREA = the units listed
-- in the seed `area_membership`, whatever the date.
with recursive

units as (
    select unit_code, parent_unit_code from {{ ref('int_units') }}
),

descendants (ancestor_code, member_code) as (
    select unit_code, unit_code from units
    union all
    select descendants.ancestor_code, units.unit_code
    from descendants
    inner join units on units.parent_unit_code = descendants.member_code
)

select 'SELF' as rollup, unit_code, unit_code as member_unit_code from units
union all
select 'SUBTREE', ancestor_code, member_code from descendants
union all
select distinct 'AREA', area_code, unit_code from {{ ref('area_membership') }}
