-- SYNCED_WITH_DVCQG_PERSONAL_STORAGE (indices.md §6, kho quản lý dữ liệu điện tử cá nhân): dossiers
-- with a file taken from the citizen's store or a RESULT file pushed to it ÷ dossiers received
-- in the period.
with

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
),

rollups as (
    select * from {{ ref('int_unit_rollups') }}
),

spine as (
    select * from {{ ref('int_unit_periods') }}
),

per_unit as (
    select
        unit_code,
        period_type,
        period_start,
        count(*) as received,
        count(case when uses_citizen_store then 1 end) as qualifying
    from received
    group by unit_code, period_type, period_start
),

counted as (
    select
        rollups.rollup,
        rollups.unit_code,
        per_unit.period_type,
        per_unit.period_start,
        sum(per_unit.qualifying) as numerator,
        sum(per_unit.received) as denominator
    from per_unit
    inner join rollups on rollups.member_unit_code = per_unit.unit_code
    group by rollups.rollup, rollups.unit_code, per_unit.period_type, per_unit.period_start
)

select
    spine.rollup,
    spine.unit_code,
    spine.period_type,
    spine.period_start,
    'SYNCED_WITH_DVCQG_PERSONAL_STORAGE' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
