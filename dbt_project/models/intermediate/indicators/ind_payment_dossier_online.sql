-- PAYMENT_DOSSIER_ONLINE (indices.md §4 A, hồ sơ thanh toán trực tuyến): dossiers with a PAID fee
-- line paid online (ONLINE_NATIONAL or ONLINE_PROVINCIAL, from the one-stop record's fees[])
-- ÷ dossiers of fee-bearing procedures having a payable line (amount > 0, not EXEMPT), received
-- in the period. Only the denominator's dossiers can enter the numerator.
-- The per-dossier rule is the macro `payment_dossier_online__dossiers` (macros/dossier_indicators.sql), which
-- marts.fct_dossier_indicator lists: this model counts the same rows.
with

dossiers as (
    {{ payment_dossier_online__dossiers() }}
)

{{ share_on_spine('PAYMENT_DOSSIER_ONLINE', 'dossiers', 'in_numerator') }}
