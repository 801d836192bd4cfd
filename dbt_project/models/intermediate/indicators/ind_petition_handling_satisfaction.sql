-- PETITION_HANDLING_SATISFACTION (indices.md §5, mức độ hài lòng xử lý PAKN): petitions received
-- in the period minus those with more dislikes than likes, overdue at T (not on time as
-- PETITION_PROCESSING_ON_TIME judges it: answered late, or unanswered past HanXuLy) or
-- re-complained (KhieuNaiLai) ÷ petitions received in the period. No petition: 6 points.
with

petitions as (
    select * from {{ ref('int_petitions__received_in_periods') }}
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
        count(*) as petitions,
        count(case when not (is_disliked or not is_on_time or re_complaint) then 1 end)
            as qualifying
    from petitions
    group by unit_code, period_type, period_start
),

counted as (
    select
        rollups.rollup,
        rollups.unit_code,
        per_unit.period_type,
        per_unit.period_start,
        sum(per_unit.qualifying) as numerator,
        sum(per_unit.petitions) as denominator
    from per_unit
    inner join rollups on rollups.member_unit_code = per_unit.unit_code
    group by rollups.rollup, rollups.unit_code, per_unit.period_type, per_unit.period_start
)

select
    spine.rollup,
    spine.unit_code,
    spine.period_type,
    spine.period_start,
    'PETITION_HANDLING_SATISFACTION' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
