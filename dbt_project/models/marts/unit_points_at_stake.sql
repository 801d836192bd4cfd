-- Points at stake (issue 19): per unit (SELF roll-up), for the running month (the month of
-- AS_OF), its current PROGRESS_ON_TIME points and what the watchlist's due-soon dossiers do to
-- them. A due-soon dossier is in progress within its due time, so the index counts it on time
-- now (§2): finished on time, the unit keeps today's points; if all of them turn late the
-- numerator loses them all. Scored with the catalogue's rule (`score_points`, seed
-- indicator_catalog) and the portal's display rounding (`portal_round`), as fct_indicator and
-- unit_scorecard score it. Due-soon and overdue dossiers are counted on the unit that received
-- them (the unit the index credits them to).
with

running_month as (
    select * from {{ ref('int_periods') }}
    where period_type = 'month'
      and period_start = cast(date_trunc('month', {{ as_of() }}) as date)
),

progress as (
    select indicators.*
    from {{ ref('fct_indicator') }} as indicators
    inner join running_month
        on running_month.period_type = indicators.period_type
        and running_month.period_start = indicators.period_start
    where indicators.rollup = 'SELF'
      and indicators.indicator_code = 'PROGRESS_ON_TIME'
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
    where indicator_code = 'PROGRESS_ON_TIME'
),

watched as (
    select
        unit_code,
        count(case when watch_reason = 'DUE_SOON' then 1 end) as due_soon_dossiers,
        count(case when watch_reason = 'OVERDUE' then 1 end) as overdue_dossiers
    from {{ ref('dossier_watchlist') }}
    group by unit_code
),

stakes as (
    select
        progress.unit_code,
        progress.period_start,
        progress.as_of,
        progress.numerator as on_time,
        progress.denominator as handled,
        coalesce(watched.due_soon_dossiers, 0) as due_soon_dossiers,
        coalesce(watched.overdue_dossiers, 0) as overdue_dossiers,
        {{ portal_round('coalesce(progress.points, 0)') }} as progress_points,
        {{ portal_round('coalesce(' ~ score_points(
            safe_ratio('progress.numerator - coalesce(watched.due_soon_dossiers, 0)', 'progress.denominator'),
            'progress.denominator', 'catalog.max_points', 'catalog.scoring_rule',
            'catalog.threshold', 'catalog.zero_denominator_points'
        ) ~ ', 0)') }} as progress_points_if_late,
        cast(catalog.max_points as double) as max_points
    from progress
    cross join catalog
    left join watched on watched.unit_code = progress.unit_code
)

select
    unit_code,
    period_start,
    as_of,
    handled,
    on_time,
    due_soon_dossiers,
    overdue_dossiers,
    max_points,
    progress_points,
    progress_points_if_late,
    round(progress_points - progress_points_if_late, 2) as points_lost_if_late,
    progress_points as progress_points_if_on_time,
    round(progress_points - progress_points_if_late, 2) as points_kept_if_on_time
from stakes
