-- ONLINE_SERVICE_WITH_DOSSIERS (indices.md §3 B, dịch vụ công trực tuyến phát sinh hồ sơ):
-- applicable online-capable procedures (FULL or PARTIAL on the catalogue date) with at least one
-- dossier received online (channel 2) in the period by a unit of the roll-up ÷ applicable
-- online-capable procedures.
with

procedures as (
    select * from {{ ref('int_procedures__used_in_periods') }}
    where is_online_capable
),

spine as (
    select * from {{ ref('int_unit_periods') }}
),

counted as (
    select
        rollup,
        unit_code,
        period_type,
        period_start,
        count(case when has_online_dossier then 1 end) as numerator,
        count(*) as denominator
    from procedures
    group by rollup, unit_code, period_type, period_start
)

select
    spine.rollup,
    spine.unit_code,
    spine.period_type,
    spine.period_start,
    'ONLINE_SERVICE_WITH_DOSSIERS' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
