-- SO_HOA_GIAY_TO_GIAI_QUYET (indices.md §6, số hóa hồ sơ và kết quả giải quyết): dossiers with a
-- digitised COMPONENT file and, when the procedure's result is a document and the dossier
-- finished (status 9, else 10) before T, a RESULT file ÷ dossiers received in the period.
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
        count(case
            when has_digitized_component
                and (not (result_is_document and finished_before_evaluation) or has_result_file)
                then 1
        end) as qualifying
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
    'SO_HOA_GIAY_TO_GIAI_QUYET' as indicator_code,
    coalesce(counted.numerator, 0) as numerator,
    coalesce(counted.denominator, 0) as denominator
from spine
left join counted
    on counted.rollup = spine.rollup
    and counted.unit_code = spine.unit_code
    and counted.period_type = spine.period_type
    and counted.period_start = spine.period_start
