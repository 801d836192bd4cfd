-- PROGRESS_ON_TIME (indices.md §2): on-time handled dossiers ÷ handled dossiers, per roll-up
-- row and period. The per-dossier rule is the macro `progress_on_time__dossiers`
-- (macros/dossier_indicators.sql, over `int_progress_on_time__dossier_periods`), which
-- marts.fct_dossier_indicator lists: this model counts the same rows.
with

dossiers as (
    {{ progress_on_time__dossiers() }}
)

{{ share_on_spine('PROGRESS_ON_TIME', 'dossiers', 'in_numerator') }}
