-- PROGRESS_ON_TIME (indices.md §2): on-time handled dossiers ÷ handled dossiers, per roll-up
-- row and period. The per-dossier rule is `int_progress_on_time__dossier_periods`.
with

evaluated as (
    select * from {{ ref('int_progress_on_time__dossier_periods') }}
    where period_type <> 'as_of'
),

rollups as (
    select * from {{ ref('int_unit_rollups') }}
),

spine as (
    select * from {{ ref('int_unit_periods') }}
),

counted as (
    select
        rollups.rollup,
        rollups.unit_code,
        evaluated.period_type,
        evaluated.period_start,
        count(*) as handled,
        count(case when not evaluated.is_late then 1 end) as on_time
    from evaluated
    inner join rollups on rollups.member_unit_code = evaluated.unit_code
    group by rollups.rollup, rollups.unit_code, evaluated.period_type, evaluated.period_start
)

select
    spine.rollup,
    spine.unit_code,
    spine.period_type,
    spine.period_start,
    'PROGRESS_ON_TIME' as indicator_code,
    coalesce(counted.on_time, 0) as numerator,
    coalesce(counted.handled, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
