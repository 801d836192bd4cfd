-- PAYMENT_DOSSIER_ONLINE (indices.md §4 A, hồ sơ thanh toán trực tuyến): dossiers with a PAID fee
-- line paid online (ONLINE_NATIONAL or ONLINE_PROVINCIAL, from the one-stop record's fees[])
-- ÷ dossiers of fee-bearing procedures having a payable line (amount > 0, not EXEMPT), received
-- in the period. Only the denominator's dossiers can enter the numerator.
with

payable as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
    where fee_bearing and has_payable_fee
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
        count(*) as payable,
        count(case when paid_online then 1 end) as qualifying
    from payable
    group by unit_code, period_type, period_start
),

counted as (
    select
        rollups.rollup,
        rollups.unit_code,
        per_unit.period_type,
        per_unit.period_start,
        sum(per_unit.qualifying) as numerator,
        sum(per_unit.payable) as denominator
    from per_unit
    inner join rollups on rollups.member_unit_code = per_unit.unit_code
    group by rollups.rollup, rollups.unit_code, per_unit.period_type, per_unit.period_start
)

select
    spine.rollup,
    spine.unit_code,
    spine.period_type,
    spine.period_start,
    'PAYMENT_DOSSIER_ONLINE' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
