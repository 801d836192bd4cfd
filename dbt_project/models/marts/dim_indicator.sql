-- The indicator catalogue (indices.md §1–§6) as a public dimension: each indicator with its
-- group and their Vietnamese names, from the seeds `indicator_catalog` and `indicator_groups`,
-- so that reports and analysts read names from the warehouse instead of repeating them.
with

indicators as (
    select * from {{ ref('indicator_catalog') }}
),

groups as (
    select * from {{ ref('indicator_groups') }}
)

select
    indicators.indicator_code,
    indicators.name_vi as indicator_name_vi,
    indicators.group_code,
    groups.name_vi as group_name_vi,
    cast(groups.display_order as integer) as group_display_order,
    cast(indicators.max_points as double) as max_points,
    indicators.version
from indicators
inner join groups
    on indicators.group_code = groups.group_code
    and indicators.version = groups.version
