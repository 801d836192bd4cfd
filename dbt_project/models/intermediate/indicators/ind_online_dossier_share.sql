-- ONLINE_DOSSIER_SHARE (indices.md §3 C, tỷ lệ hồ sơ trực tuyến): dossiers received online
-- (channel 2) that, when the procedure's result is a document, have an electronic result (a
-- RESULT file with a URL and a result code; files are known at AS_OF) ÷ dossiers received in
-- the period. An online dossier whose document result does not exist yet does not count.
-- The per-dossier rule is the macro `online_dossier_share__dossiers` (macros/dossier_indicators.sql), which
-- marts.fct_dossier_indicator lists: this model counts the same rows.
with

dossiers as (
    {{ online_dossier_share__dossiers() }}
)

{{ share_on_spine('ONLINE_DOSSIER_SHARE', 'dossiers', 'in_numerator') }}
