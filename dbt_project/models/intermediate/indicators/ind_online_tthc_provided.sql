-- ONLINE_TTHC_PROVIDED (indices.md §3 A, TTHC cung cấp dịch vụ công trực tuyến): applicable
-- procedures (versions valid on min(period_end, AS_OF date) applied by a unit of the roll-up)
-- with an online service (FULL or PARTIAL) ÷ applicable procedures.
with

procedures as (
    select * from {{ ref('int_procedures__used_in_periods') }}
),

spine as (
    select * from {{ ref('int_unit_periods') }}
),

counted as (
    select
        rollup,
        unit_code,
        period_type,
        period_start,
        count(case when is_online_capable then 1 end) as numerator,
        count(*) as denominator
    from procedures
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
