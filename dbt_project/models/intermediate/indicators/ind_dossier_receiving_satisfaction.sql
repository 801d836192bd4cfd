-- DOSSIER_RECEIVING_SATISFACTION (indices.md §5, mức độ hài lòng tiếp nhận và giải quyết hồ sơ):
-- handled dossiers (PROGRESS_ON_TIME's population) minus those late (§2), rated DISSATISFIED,
-- or linked to a petition through MaHoSo = nationCode ÷ handled dossiers. Ratings and links
-- are known at AS_OF; lateness is the period's (cut at T).
with

handled as (
    select * from {{ ref('int_progress_on_time__dossier_periods') }}
    where period_type <> 'as_of'
),

facts as (
    select dossier_id, rating, linked_to_petition from {{ ref('int_dossiers__flagged') }}
),

rollups as (
    select * from {{ ref('int_unit_rollups') }}
),

spine as (
    select * from {{ ref('int_unit_periods') }}
),

per_unit as (
    select
        handled.unit_code,
        handled.period_type,
        handled.period_start,
        count(*) as handled,
        count(case
            when not (
                handled.is_late
                or coalesce(facts.rating = 'DISSATISFIED', false)
                or coalesce(facts.linked_to_petition, false)
            ) then 1
        end) as satisfied
    from handled
    left join facts on facts.dossier_id = handled.dossier_id
    group by handled.unit_code, handled.period_type, handled.period_start
),

counted as (
    select
        rollups.rollup,
        rollups.unit_code,
        per_unit.period_type,
        per_unit.period_start,
        sum(per_unit.satisfied) as numerator,
        sum(per_unit.handled) as denominator
    from per_unit
    inner join rollups on rollups.member_unit_code = per_unit.unit_code
    group by rollups.rollup, rollups.unit_code, per_unit.period_type, per_unit.period_start
)

select
    spine.rollup,
    spine.unit_code,
    spine.period_type,
    spine.period_start,
    'DOSSIER_RECEIVING_SATISFACTION' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
