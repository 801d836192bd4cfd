-- PAYMENT_TTHC_INTEGRATED (indices.md §4 C, TTHC tích hợp thanh toán trực tuyến): applicable
-- fee-bearing procedures with at least one dossier received in the period by a unit of the
-- roll-up whose national copy carries fee lines (non-empty DanhSachLePhi) ÷ applicable
-- fee-bearing procedures.
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
        count(case when has_dossier_with_national_fees then 1 end) as numerator,
        count(*) as denominator
    from procedures
    group by rollup, unit_code, period_type, period_start
)

select
    spine.rollup,
    spine.unit_code,
    spine.period_type,
    spine.period_start,
    'PAYMENT_TTHC_INTEGRATED' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
