-- REUSED_DIGITIZED_DATA (indices.md §6, tái sử dụng dữ liệu số hóa): dossiers with a file of any
-- kind reused from digitised data (reuse 1 or 2) ÷ dossiers received in the period.
-- The per-dossier rule is the macro `reused_digitized_data__dossiers` (macros/dossier_indicators.sql), which
-- marts.fct_dossier_indicator lists: this model counts the same rows.
with

dossiers as (
    {{ reused_digitized_data__dossiers() }}
)

{{ share_on_spine('REUSED_DIGITIZED_DATA', 'dossiers', 'in_numerator') }}
