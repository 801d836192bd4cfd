{{ config(meta={"dagster": {"ref": {"name": "unit_scorecard"}}}) }}
-- No activity is not weak (issue 19): a scorecard row without a handled dossier has no band and
-- no rank, and its PROGRESS_ON_TIME row keeps the `no_activity` flag; a row with activity has
-- a band. A row here breaks that.
select
    scores.unit_code, scores.rollup, scores.period_type, scores.period_start,
    scores.has_activity, scores.band, scores.rank_in_parent, progress.flag
from {{ ref('unit_scorecard') }} as scores
left join {{ ref('fct_indicator') }} as progress
    on progress.unit_code = scores.unit_code
    and progress.rollup = scores.rollup
    and progress.period_type = scores.period_type
    and progress.period_start = scores.period_start
    and progress.indicator_code = 'PROGRESS_ON_TIME'
where (not scores.has_activity
       and (scores.band is not null or scores.rank_in_parent is not null
            or progress.flag is distinct from 'no_activity'))
   or (scores.has_activity and scores.band is null)
