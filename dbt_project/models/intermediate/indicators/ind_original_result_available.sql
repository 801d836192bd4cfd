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

rollups as (
    select * from {{ ref('int_unit_rollups') }}
),

spine as (
    select * from {{ ref('int_unit_periods') }}
),

per_unit as (
    select
        finished.unit_code,
        periods.period_type,
        periods.period_start,
        count(*) as finished,
        count(case when finished.has_e_result then 1 end) as with_e_result
    from finished
    inner join periods
        on finished.finished_at >= periods.starts_at
        and finished.finished_at < periods.evaluated_at
    group by finished.unit_code, periods.period_type, periods.period_start
),

counted as (
    select
        rollups.rollup,
        rollups.unit_code,
        per_unit.period_type,
        per_unit.period_start,
        sum(per_unit.with_e_result) as numerator,
        sum(per_unit.finished) as denominator
    from per_unit
    inner join rollups on rollups.member_unit_code = per_unit.unit_code
    group by rollups.rollup, rollups.unit_code, per_unit.period_type, per_unit.period_start
)

select
    spine.rollup,
    spine.unit_code,
    spine.period_type,
    spine.period_start,
    'ORIGINAL_RESULT_AVAILABLE' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
