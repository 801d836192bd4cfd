-- The scorecard (indices.md §7) per unit, roll-up and period: the six group scores as the
-- portal shows them (each indicator's points rounded to 2 decimals half-up, then summed per
-- group, §0.3; NULL points count 0), their total, the band (seed score_bands) and the rank among
-- peers: units of the same level under the same parent, per period and roll-up, dense by total
-- descending with ties broken by unit code (so ranks run 1..siblings without gaps). AREA rows
-- and units without a handled dossier in the period are not ranked. No activity is not weak
-- (issue 19): a unit (or the area) that received and handled nothing in the period has no band
-- and no rank (`has_activity` false; reports show "Không phát sinh hồ sơ"), its total stays
-- as computed and its indicator rows keep the `no_activity` flag. Unrounded points stay in
-- fct_indicator.
with

indicators as (
    select * from {{ ref('fct_indicator') }}
),

units as (
    select unit_code, unit_level, parent_unit_code from {{ ref('int_units') }}
),

bands as (
    select
        band_code,
        name_vi,
        min_total,
        lead(min_total) over (order by min_total) as next_min_total
    from {{ ref('score_bands') }}
),

-- Rounding each group's sum again removes the binary noise of adding 2-decimal values.
groups as (
    select
        unit_code,
        rollup,
        period_type,
        period_start,
        max(as_of) as as_of,
        {%- for group_code in
            ['TRANSPARENCY', 'PROGRESS', 'ONLINE', 'PAYMENT', 'SATISFACTION', 'DIGITIZATION'] %}
        round(sum(case when group_code = '{{ group_code }}'
            then {{ portal_round('coalesce(points, 0)') }} else 0 end), 2) as {{ group_code | lower }},
        {%- endfor %}
        sum(case when indicator_code = 'PROGRESS_ON_TIME' then denominator else 0 end) as handled
    from indicators
    group by unit_code, rollup, period_type, period_start
),

totalled as (
    select
        groups.*,
        round(transparency + progress + online + payment + satisfaction + digitization, 2) as total
    from groups
),

banded as (
    select
        totalled.*,
        totalled.handled > 0 as has_activity,
        bands.band_code as band,
        bands.name_vi as band_name_vi
    from totalled
    left join bands
        on totalled.handled > 0
        and totalled.total >= bands.min_total
        and (bands.next_min_total is null or totalled.total < bands.next_min_total)
),

peers as (
    select
        banded.*,
        banded.rollup <> 'AREA' and banded.has_activity as is_ranked,
        units.unit_level,
        units.parent_unit_code
    from banded
    left join units on units.unit_code = banded.unit_code
),

ranked as (
    select
        peers.*,
        case when is_ranked then dense_rank() over (
            partition by rollup, period_type, period_start, unit_level, parent_unit_code, is_ranked
            order by total desc, unit_code
        ) end as rank_in_parent,
        case when rollup <> 'AREA' then count(case when is_ranked then 1 end) over (
            partition by rollup, period_type, period_start, unit_level, parent_unit_code
        ) end as siblings
    from peers
)

select
    unit_code,
    rollup,
    period_type,
    period_start,
    as_of,
    transparency,
    progress,
    online,
    payment,
    satisfaction,
    digitization,
    total,
    band,
    band_name_vi,
    cast(rank_in_parent as integer) as rank_in_parent,
    cast(siblings as integer) as siblings,
    has_activity
from ranked
