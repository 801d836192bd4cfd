-- The official indicators (indices.md §1: PUBLISH_ON_TIME, PUBLIC_UPDATE_ON_TIME,
-- PUBLIC_CONTENT_FULL; §6: ELECTRONIC_CERTIFIED_COPY) copied from the national evaluation API
-- onto every row of the spine. SELF and SUBTREE rows take their unit's values; a unit the API
-- does not list for the period (in that indicator's group) takes the root's (province's), as
-- the portal itself does; AREA rows take the root's. A listed unit, or the root, answered
-- without the indicator gives NULL values and flag `no_source`.
with

catalog as (
    select indicator_code, group_code from {{ ref('indicator_catalog') }}
    where source = 'official'
),

departments as (
    select * from {{ ref('dvcqg_department') }}
),

-- Portal entries map to units by departmentCode when present, else through the seed (the
-- real `transparency` responses carry only the portal's own departmentId).
metrics as (
    select
        coalesce(metrics.unit_code, departments.unit_code) as unit_code,
        metrics.is_root,
        metrics.period_type,
        metrics.period_start,
        metrics.indicator_code,
        all_codes.group_code,
        metrics.numerator,
        metrics.denominator,
        metrics.ratio_percent / 100.0 as ratio,
        metrics.score as points
    from {{ ref('stg_dvcqg__evaluation_metrics') }} as metrics
    left join departments on departments.department_id = metrics.department_id
    left join {{ ref('indicator_catalog') }} as all_codes
        on all_codes.indicator_code = metrics.indicator_code
),

listed as (
    select distinct unit_code, period_type, period_start, group_code
    from metrics
    where not is_root and unit_code is not null
),

spine as (
    select spine.rollup, spine.unit_code, spine.period_type, spine.period_start,
        catalog.indicator_code, catalog.group_code
    from {{ ref('int_unit_periods') }} as spine
    cross join catalog
),

sourced as (
    select
        spine.*,
        spine.rollup <> 'AREA' and listed.unit_code is not null as takes_own_values
    from spine
    left join listed
        on listed.unit_code = spine.unit_code
        and listed.period_type = spine.period_type
        and listed.period_start = spine.period_start
        and listed.group_code = spine.group_code
),

chosen as (
    select
        sourced.*,
        case when sourced.takes_own_values then own.indicator_code else root.indicator_code end
            as answered_code,
        case when sourced.takes_own_values then own.numerator else root.numerator end as numerator,
        case when sourced.takes_own_values then own.denominator else root.denominator end
            as denominator,
        case when sourced.takes_own_values then own.ratio else root.ratio end as ratio,
        case when sourced.takes_own_values then own.points else root.points end as points
    from sourced
    left join metrics as own
        on not own.is_root
        and own.unit_code = sourced.unit_code
        and own.period_type = sourced.period_type
        and own.period_start = sourced.period_start
        and own.indicator_code = sourced.indicator_code
    left join metrics as root
        on root.is_root
        and root.period_type = sourced.period_type
        and root.period_start = sourced.period_start
        and root.indicator_code = sourced.indicator_code
)

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
    case when answered_code is not null then 'official' else 'no_source' end as flag
from chosen
