-- PAYMENT_TTHC_WITH_ONLINE_PAYMENT (indices.md §4 B, TTHC phát sinh thanh toán trực tuyến):
-- applicable fee-bearing procedures with at least one dossier counted in PAYMENT_DOSSIER_ONLINE's
-- numerator (received in the period by a unit of the roll-up) ÷ applicable fee-bearing procedures.
with

procedures as (
    select * from {{ ref('int_procedures__used_in_periods') }}
    where fee_bearing
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
        count(case when has_online_paid_dossier then 1 end) as numerator,
        count(*) as denominator
    from procedures
    group by rollup, unit_code, period_type, period_start
)

select
    spine.rollup,
    spine.unit_code,
    spine.period_type,
    spine.period_start,
    'PAYMENT_TTHC_WITH_ONLINE_PAYMENT' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
