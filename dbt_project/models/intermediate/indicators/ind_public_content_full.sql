-- PUBLIC_CONTENT_FULL (indices.md §1, công khai đầy đủ nội dung TTHC): published procedures with
-- all 7 mandatory parts ÷ published procedures (snapshot).
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
where indicator_code = 'PUBLIC_CONTENT_FULL'
