-- PAYMENT_TTHC_INTEGRATED (indices.md §4 C, TTHC tích hợp thanh toán trực tuyến): applicable
-- fee-bearing procedures with at least one dossier received in the period by a unit of the
-- roll-up whose national copy carries fee lines (non-empty DanhSachLePhi) ÷ applicable
-- fee-bearing procedures.
with

procedures as (
    select * from {{ ref('int_procedures__used_in_periods') }}
    where fee_bearing
)

{{ share_on_spine(
    'PAYMENT_TTHC_INTEGRATED', 'procedures', 'has_dossier_with_national_fees', grain='rollup'
) }}
