-- ONLINE_DOSSIER_SHARE (indices.md §3 C, tỷ lệ hồ sơ trực tuyến): dossiers received online
-- (channel 2) that, when the procedure's result is a document, have an electronic result (a
-- RESULT file with a URL and a result code; files are known at AS_OF) ÷ dossiers received in
-- the period. An online dossier whose document result does not exist yet does not count.
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
        count(case when channel = 2 and (not result_is_document or has_e_result) then 1 end)
            as qualifying
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
    'ONLINE_DOSSIER_SHARE' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
