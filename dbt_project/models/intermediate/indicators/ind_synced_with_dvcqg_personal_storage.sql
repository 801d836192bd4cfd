-- SYNCED_WITH_DVCQG_PERSONAL_STORAGE (indices.md §6, kho quản lý dữ liệu điện tử cá nhân): dossiers
-- with a file taken from the citizen's store or a RESULT file pushed to it ÷ dossiers received
-- in the period.
-- The per-dossier rule is the macro `synced_with_dvcqg_personal_storage__dossiers` (macros/dossier_indicators.sql), which
-- marts.fct_dossier_indicator lists: this model counts the same rows.
with

dossiers as (
    {{ synced_with_dvcqg_personal_storage__dossiers() }}
)

{{ share_on_spine('SYNCED_WITH_DVCQG_PERSONAL_STORAGE', 'dossiers', 'in_numerator') }}
