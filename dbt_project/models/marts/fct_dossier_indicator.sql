-- One row per dossier, indicator and period for every indicator counted over dossiers (the
-- population of its denominator): whether the dossier is in the numerator and, when it is not,
-- why (reason code and Vietnamese text from the seed `dossier_indicator_reasons`). The rows come
-- from the same macros the `ind_*` models count (macros/dossier_indicators.sql), so their sums
-- per SELF unit and period are fct_indicator's numerator and denominator (data test
-- `assert_fct_dossier_indicator_sums_to_fct_indicator`). unit_code is the unit the index
-- credits the dossier to (its receiving unit, indices.md §0.2).
-- Incremental (macros/incremental.sql): a dossier received and terminal before the previous
-- AS_OF keeps its rows (its populations, facts and verdicts no longer move, as in the kept
-- models it reads); the dossiers of `int_dossiers__to_refresh` are recomputed.
{{ kept_by_dossier('int_dossiers__to_refresh', on_schema_change='fail', keep_written_rows=true) }}
with

verdicts as (
    {%- for indicator_code, rows in dossier_indicator_macros().items() %}
    select * from ({{ rows(key_model='int_dossiers__to_refresh') }}) as {{ indicator_code | lower }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

dossiers as (
    select dossier_id, dossier_code, procedure_code from {{ ref('stg_motcua__dossiers') }}
    where {{ only_changed('dossier_id', 'int_dossiers__to_refresh') }}
),

reasons as (
    select * from {{ ref('dossier_indicator_reasons') }}
)

select
    verdicts.indicator_code,
    verdicts.period_type,
    verdicts.period_start,
    dossiers.dossier_code,
    verdicts.dossier_id,
    verdicts.unit_code,
    dossiers.procedure_code,
    verdicts.in_numerator,
    verdicts.reason_code,
    reasons.reason_vi
from verdicts
inner join dossiers on dossiers.dossier_id = verdicts.dossier_id
left join reasons
    on reasons.indicator_code = verdicts.indicator_code
    and reasons.reason_code = verdicts.reason_code
