-- DOSSIER_RECEIVING_SATISFACTION (indices.md §5, mức độ hài lòng tiếp nhận và giải quyết hồ sơ):
-- handled dossiers (PROGRESS_ON_TIME's population) minus those late (§2), rated DISSATISFIED,
-- or linked to a petition through MaHoSo = nationCode ÷ handled dossiers. Ratings and links
-- are known at AS_OF; lateness is the period's (cut at T).
-- The per-dossier rule is the macro `dossier_receiving_satisfaction__dossiers` (macros/dossier_indicators.sql), which
-- marts.fct_dossier_indicator lists: this model counts the same rows.
with

dossiers as (
    {{ dossier_receiving_satisfaction__dossiers() }}
)

{{ share_on_spine('DOSSIER_RECEIVING_SATISFACTION', 'dossiers', 'in_numerator') }}
