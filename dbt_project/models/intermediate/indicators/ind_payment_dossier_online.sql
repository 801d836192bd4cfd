-- PAYMENT_DOSSIER_ONLINE (indices.md §4 A, hồ sơ thanh toán trực tuyến): dossiers with a PAID fee
-- line paid online (ONLINE_NATIONAL or ONLINE_PROVINCIAL, from the one-stop record's fees[])
-- ÷ dossiers of fee-bearing procedures having a payable line (amount > 0, not EXEMPT), received
-- in the period. Only the denominator's dossiers can enter the numerator.
with

payable as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
    where fee_bearing and has_payable_fee
)

{{ share_on_spine('PAYMENT_DOSSIER_ONLINE', 'payable', 'paid_online') }}
