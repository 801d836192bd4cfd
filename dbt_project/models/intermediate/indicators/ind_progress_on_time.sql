-- PROGRESS_ON_TIME (indices.md §2): on-time handled dossiers ÷ handled dossiers, per roll-up
-- row and period. The per-dossier rule is `int_progress_on_time__dossier_periods`.
with

evaluated as (
    select * from {{ ref('int_progress_on_time__dossier_periods') }}
    where period_type <> 'as_of'
),

counted as (
    {{ roll_up_counts(
        'evaluated',
        numerator='count(case when not is_late then 1 end)',
        denominator='count(*)'
    ) }}
)

{{ counts_on_spine('PROGRESS_ON_TIME') }}
