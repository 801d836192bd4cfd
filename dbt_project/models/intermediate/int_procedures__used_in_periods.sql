-- Applicable procedures of each roll-up row and period (indices.md §3, §4), with what the
-- roll-up's dossiers received in the period did with them. A procedure code counts once per
-- roll-up; it is online-capable / fee-bearing when a valid version applied by any unit of the
-- roll-up is. The denominators and numerators of ONLINE_TTHC_PROVIDED,
-- ONLINE_SERVICE_WITH_DOSSIERS, PAYMENT_TTHC_WITH_ONLINE_PAYMENT and PAYMENT_TTHC_INTEGRATED.
with

applicable as (
    select * from {{ ref('int_procedures__applied_in_periods') }}
),

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
),

rollups as (
    select * from {{ ref('int_unit_rollups') }}
),

applicable_in_rollups as (
    select
        rollups.rollup,
        rollups.unit_code,
        applicable.period_type,
        applicable.period_start,
        applicable.procedure_code,
        bool_or(applicable.is_online_capable) as is_online_capable,
        bool_or(applicable.fee_bearing) as fee_bearing
    from applicable
    inner join rollups on rollups.member_unit_code = applicable.unit_code
    group by
        rollups.rollup,
        rollups.unit_code,
        applicable.period_type,
        applicable.period_start,
        applicable.procedure_code
),

-- What happened per member unit first, so that the roll-up join sees one row per procedure.
used_per_unit as (
    select
        unit_code,
        period_type,
        period_start,
        procedure_code,
        bool_or(channel = 2) as has_online_dossier,
        -- a dossier counted in PAYMENT_DOSSIER_ONLINE's numerator
        bool_or(fee_bearing and has_payable_fee and paid_online) as has_online_paid_dossier,
        bool_or(national_copy_has_fees) as has_dossier_with_national_fees
    from received
    group by unit_code, period_type, period_start, procedure_code
),

used_in_rollups as (
    select
        rollups.rollup,
        rollups.unit_code,
        used_per_unit.period_type,
        used_per_unit.period_start,
        used_per_unit.procedure_code,
        bool_or(used_per_unit.has_online_dossier) as has_online_dossier,
        bool_or(used_per_unit.has_online_paid_dossier) as has_online_paid_dossier,
        bool_or(used_per_unit.has_dossier_with_national_fees) as has_dossier_with_national_fees
    from used_per_unit
    inner join rollups on rollups.member_unit_code = used_per_unit.unit_code
    group by
        rollups.rollup,
        rollups.unit_code,
        used_per_unit.period_type,
        used_per_unit.period_start,
        used_per_unit.procedure_code
)

select
    applicable_in_rollups.*,
    coalesce(used_in_rollups.has_online_dossier, false) as has_online_dossier,
    coalesce(used_in_rollups.has_online_paid_dossier, false) as has_online_paid_dossier,
    coalesce(used_in_rollups.has_dossier_with_national_fees, false)
        as has_dossier_with_national_fees
from applicable_in_rollups
left join used_in_rollups
    on used_in_rollups.rollup = applicable_in_rollups.rollup
    and used_in_rollups.unit_code = applicable_in_rollups.unit_code
    and used_in_rollups.period_type = applicable_in_rollups.period_type
    and used_in_rollups.period_start = applicable_in_rollups.period_start
    and used_in_rollups.procedure_code = applicable_in_rollups.procedure_code
