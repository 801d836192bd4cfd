-- Who must act for a dossier of each unit (indices.md §9), as of AS_OF.
-- handling unit: the dossier's unit. one-stop counter: the nearest unit at or above it of level
-- TOWN, WARD or COMMUNE. A unit dissolved before AS_OF hands its findings to its successor;
-- one without a successor (the old town's departments, the town itself) to what its parent
-- resolves to, and a top unit without a successor (the old town) to the continuity area listing
-- it (`area_membership`): after 2025-07-01 no single ward inherited the town's archive.
with recursive

units as (
    select
        unit_code,
        unit_level,
        parent_unit_code,
        successor_unit_code,
        coalesce(valid_to >= cast({{ as_of() }} as date), true) as is_active
    from {{ ref('int_units') }}
),

areas as (
    select unit_code, min(area_code) as area_code
    from {{ ref('area_membership') }}
    group by unit_code
),

-- Follow successors, else parents, until an active unit (or nowhere left to go).
handed_over (unit_code, current_code, hops) as (
    select unit_code, unit_code, 0 from units
    union all
    select
        handed_over.unit_code,
        coalesce(units.successor_unit_code, units.parent_unit_code),
        handed_over.hops + 1
    from handed_over
    inner join units on units.unit_code = handed_over.current_code
    where not units.is_active
      and coalesce(units.successor_unit_code, units.parent_unit_code) is not null
      and handed_over.hops < 10
),

last_hops as (
    select handed_over.unit_code, handed_over.current_code, units.is_active
    from handed_over
    left join units on units.unit_code = handed_over.current_code
    qualify row_number() over (partition by handed_over.unit_code order by handed_over.hops desc) = 1
),

successors as (
    select
        last_hops.unit_code,
        case
            when last_hops.is_active then last_hops.current_code
            else coalesce(areas.area_code, last_hops.current_code)
        end as successor_code
    from last_hops
    left join areas on areas.unit_code = last_hops.current_code
),

-- Walk up the tree until a unit of counter level.
ancestors (unit_code, current_code, current_level, depth) as (
    select unit_code, unit_code, unit_level, 0 from units
    union all
    select ancestors.unit_code, parents.unit_code, parents.unit_level, ancestors.depth + 1
    from ancestors
    inner join units as children on children.unit_code = ancestors.current_code
    inner join units as parents on parents.unit_code = children.parent_unit_code
    where ancestors.current_level not in ('TOWN', 'WARD', 'COMMUNE')
      and ancestors.depth < 10
),

counters as (
    select unit_code, {{ arg_min_of('current_code', 'depth') }} as counter_code
    from ancestors
    where current_level in ('TOWN', 'WARD', 'COMMUNE')
    group by unit_code
)

select
    units.unit_code,
    counters.counter_code as one_stop_counter_code,
    unit_successor.successor_code as handling_responsible_code,
    coalesce(counter_successor.successor_code, unit_successor.successor_code)
        as counter_responsible_code
from units
inner join successors as unit_successor on unit_successor.unit_code = units.unit_code
left join counters on counters.unit_code = units.unit_code
left join successors as counter_successor on counter_successor.unit_code = counters.counter_code
