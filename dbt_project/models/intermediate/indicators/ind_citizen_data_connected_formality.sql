-- CITIZEN_DATA_CONNECTED_FORMALITY (indices.md §6, TTHC khai thác dữ liệu dân cư): citizen-facing
-- procedures with at least one dossier received in the period that used VNeID or the
-- population database ÷ citizen-facing procedures with at least one dossier received in the
-- period, both among the dossiers of the roll-up's units.
with

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
    where citizen_facing
),

rollups as (
    select * from {{ ref('int_unit_rollups') }}
),

spine as (
    select * from {{ ref('int_unit_periods') }}
),

per_unit as (
    select
        unit_code,
        period_type,
        period_start,
        procedure_code,
        bool_or(uses_citizen_data) as uses_citizen_data
    from received
    group by unit_code, period_type, period_start, procedure_code
),

counted as (
    select
        rollups.rollup,
        rollups.unit_code,
        per_unit.period_type,
        per_unit.period_start,
        count(distinct case when per_unit.uses_citizen_data then per_unit.procedure_code end)
            as numerator,
        count(distinct per_unit.procedure_code) as denominator
    from per_unit
    inner join rollups on rollups.member_unit_code = per_unit.unit_code
    group by rollups.rollup, rollups.unit_code, per_unit.period_type, per_unit.period_start
)

select
    spine.rollup,
    spine.unit_code,
    spine.period_type,
    spine.period_start,
    'CITIZEN_DATA_CONNECTED_FORMALITY' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
