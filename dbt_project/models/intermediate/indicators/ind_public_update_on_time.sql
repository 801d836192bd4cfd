-- PUBLIC_UPDATE_ON_TIME (indices.md §1, công khai TTHC trên CSDL quốc gia đúng hạn): procedures
-- published on the national database at most 5 working days after announcement ÷ procedures due.
-- Copied from the national evaluation API (official, §1); the assignment of portal entries to
-- spine rows (own unit, else the root) is `int_evaluation_metrics__assigned`.
select
    rollup,
    unit_code,
    period_type,
    period_start,
    indicator_code,
    numerator,
    denominator,
    ratio,
    points,
    flag
from {{ ref('int_evaluation_metrics__assigned') }}
where indicator_code = 'PUBLIC_UPDATE_ON_TIME'
