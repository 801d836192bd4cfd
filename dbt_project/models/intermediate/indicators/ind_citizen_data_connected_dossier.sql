-- CITIZEN_DATA_CONNECTED_DOSSIER (indices.md §6, hồ sơ khai thác dữ liệu dân cư): dossiers whose
-- applicant logged in with VNeID or that queried the population database (CSDLQG_DAN_CU)
-- ÷ dossiers received in the period.
-- The per-dossier rule is the macro `citizen_data_connected_dossier__dossiers` (macros/dossier_indicators.sql), which
-- marts.fct_dossier_indicator lists: this model counts the same rows.
with

dossiers as (
    {{ citizen_data_connected_dossier__dossiers() }}
)

{{ share_on_spine('CITIZEN_DATA_CONNECTED_DOSSIER', 'dossiers', 'in_numerator') }}
