-- PAYMENT_TTHC_WITH_ONLINE_PAYMENT (indices.md §4 B, TTHC phát sinh thanh toán trực tuyến):
-- applicable fee-bearing procedures with at least one dossier counted in PAYMENT_DOSSIER_ONLINE's
-- numerator (received in the period by a unit of the roll-up) ÷ applicable fee-bearing procedures.
with

procedures as (
    select * from {{ ref('int_procedures__used_in_periods') }}
    where fee_bearing
)

{{ share_on_spine(
    'PAYMENT_TTHC_WITH_ONLINE_PAYMENT', 'procedures', 'has_online_paid_dossier', grain='rollup'
) }}
