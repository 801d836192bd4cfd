-- PAYMENT_TTHC_WITH_ONLINE_PAYMENT (indices.md §4 B, TTHC phát sinh thanh toán trực tuyến): applicable
-- fee-bearing procedures with at least one dossier counted in PAYMENT_DOSSIER_ONLINE's numerator
-- (received in the period by a unit of the roll-up) ÷ applicable fee-bearing procedures.
with

applicable as (
    select * from {{ ref('int_procedures__applied_in_periods') }}
    where fee_bearing
),

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
    where fee_bearing and has_payable_fee and paid_online
),

rollups as (
    select * from {{ ref('int_unit_rollups') }}
),

spine as (
    select * from {{ ref('int_unit_periods') }}
),

applicable_in_rollups as (
    select distinct
        rollups.rollup,
        rollups.unit_code,
        applicable.period_type,
        applicable.period_start,
        applicable.procedure_code
    from applicable
    inner join rollups on rollups.member_unit_code = applicable.unit_code
),

used_in_rollups as (
    select distinct
        rollups.rollup,
        rollups.unit_code,
        received.period_type,
        received.period_start,
        received.procedure_code
    from received
    inner join rollups on rollups.member_unit_code = received.unit_code
),

counted as (
    select
        applicable_in_rollups.rollup,
        applicable_in_rollups.unit_code,
        applicable_in_rollups.period_type,
        applicable_in_rollups.period_start,
        count(used_in_rollups.procedure_code) as numerator,
        count(*) as denominator
    from applicable_in_rollups
    left join used_in_rollups
        on used_in_rollups.rollup = applicable_in_rollups.rollup
        and used_in_rollups.unit_code = applicable_in_rollups.unit_code
        and used_in_rollups.period_type = applicable_in_rollups.period_type
        and used_in_rollups.period_start = applicable_in_rollups.period_start
        and used_in_rollups.procedure_code = applicable_in_rollups.procedure_code
    group by
        applicable_in_rollups.rollup,
        applicable_in_rollups.unit_code,
        applicable_in_rollups.period_type,
        applicable_in_rollups.period_start
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
