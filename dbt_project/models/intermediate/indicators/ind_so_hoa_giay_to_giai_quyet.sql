-- SO_HOA_GIAY_TO_GIAI_QUYET (indices.md §6, số hóa hồ sơ và kết quả giải quyết): dossiers with a
-- digitised COMPONENT file and, when the procedure's result is a document and the dossier
-- finished (status 9, else 10) before T, a RESULT file ÷ dossiers received in the period.
-- The per-dossier rule is the macro `so_hoa_giay_to_giai_quyet__dossiers` (macros/dossier_indicators.sql), which
-- marts.fct_dossier_indicator lists: this model counts the same rows.
with

dossiers as (
    {{ so_hoa_giay_to_giai_quyet__dossiers() }}
)

{{ share_on_spine('SO_HOA_GIAY_TO_GIAI_QUYET', 'dossiers', 'in_numerator') }}
