-- ORIGINAL_RESULT_AVAILABLE (indices.md §6, kết quả giải quyết TTHC điện tử): dossiers of
-- procedures whose result is a document, finished (first status-9 step, else 10) in the period
-- (period_start <= finish < T), having an electronic result (a RESULT file with a URL and a
-- result code) ÷ such dossiers finished in the period.
-- The per-dossier rule is the macro `original_result_available__dossiers` (macros/dossier_indicators.sql), which
-- marts.fct_dossier_indicator lists: this model counts the same rows.
with

dossiers as (
    {{ original_result_available__dossiers() }}
)

{{ share_on_spine('ORIGINAL_RESULT_AVAILABLE', 'dossiers', 'in_numerator') }}
