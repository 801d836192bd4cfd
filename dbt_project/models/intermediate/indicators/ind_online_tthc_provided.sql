-- ONLINE_TTHC_PROVIDED (indices.md §3 A, TTHC cung cấp dịch vụ công trực tuyến): applicable
-- procedures (versions valid on min(period_end, AS_OF date) applied by a unit of the roll-up)
-- with an online service (FULL or PARTIAL) ÷ applicable procedures.
with

applicable as (
    select * from {{ ref('int_procedures__applied_in_periods') }}
),

rollups as (
    select * from {{ ref('int_unit_rollups') }}
),

spine as (
    select * from {{ ref('int_unit_periods') }}
),

-- A code applied by several units of the roll-up counts once, online if any version says so.
applicable_in_rollups as (
    select
        rollups.rollup,
        rollups.unit_code,
        applicable.period_type,
        applicable.period_start,
        applicable.procedure_code,
        bool_or(applicable.is_online_capable) as is_online_capable
    from applicable
    inner join rollups on rollups.member_unit_code = applicable.unit_code
    group by
        rollups.rollup,
        rollups.unit_code,
        applicable.period_type,
        applicable.period_start,
        applicable.procedure_code
),

counted as (
    select
        rollup,
        unit_code,
        period_type,
        period_start,
        count(case when is_online_capable then 1 end) as numerator,
        count(*) as denominator
    from applicable_in_rollups
    group by rollup, unit_code, period_type, period_start
)

select
    spine.rollup,
    spine.unit_code,
    spine.period_type,
    spine.period_start,
    'ONLINE_TTHC_PROVIDED' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
