-- ORIGINAL_RESULT_AVAILABLE (indices.md §6, kết quả giải quyết TTHC điện tử): dossiers of
-- procedures whose result is a document, finished (first status-9 step, else 10) in the period
-- (period_start <= finish < T), having an electronic result (a RESULT file with a URL and a
-- result code) ÷ such dossiers finished in the period.
with

finished as (
    select * from {{ ref('int_dossiers__flagged') }}
    where result_is_document and finished_at is not null
),

periods as (
    select * from {{ ref('int_periods') }}
    where period_type <> 'as_of'
),

finished_in_periods as (
    select
        finished.unit_code,
        periods.period_type,
        periods.period_start,
        finished.has_e_result
    from finished
    inner join periods
        on finished.finished_at >= periods.starts_at
        and finished.finished_at < periods.evaluated_at
)

{{ share_on_spine('ORIGINAL_RESULT_AVAILABLE', 'finished_in_periods', 'has_e_result') }}
