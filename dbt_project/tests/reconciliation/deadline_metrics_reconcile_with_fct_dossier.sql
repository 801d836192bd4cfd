{{ config(meta={"dagster": {"ref": {"name": "deadline_metrics"}}}) }}
-- Published marts reconcile (issue 7): for every unit and month of the unit's validity, the
-- dossiers received in deadline_metrics equal the received dossiers of fct_dossier, and the
-- area's received count equals all received dossiers of the month (a dossier accepted by a
-- dissolved unit after its last day counts only in the area, indices.md §0.2).
-- A row here is a unit-month that disagrees.
with

dossiers as (
    select
        unit_code,
        cast(date_trunc('month', received_at) as date) as period_start,
        count(*) as received
    from {{ ref('fct_dossier') }}
    where progress_status not in ('NOT_RECEIVED', 'EXCLUDED')
    group by unit_code, cast(date_trunc('month', received_at) as date)
),

units as (
    select unit_code, valid_from, valid_to from {{ ref('dim_unit') }}
),

metrics as (
    select unit_code, period_start, received
    from {{ ref('deadline_metrics') }}
    where rollup = 'SELF' and period_type = 'month'
),

area as (
    select period_start, received
    from {{ ref('deadline_metrics') }}
    where rollup = 'AREA' and period_type = 'month'
),

unit_mismatches as (
    select
        coalesce(metrics.unit_code, dossiers.unit_code) as unit_code,
        coalesce(metrics.period_start, dossiers.period_start) as period_start,
        coalesce(metrics.received, 0) as in_deadline_metrics,
        coalesce(dossiers.received, 0) as in_fct_dossier
    from metrics
    full outer join dossiers
        on dossiers.unit_code = metrics.unit_code
        and dossiers.period_start = metrics.period_start
    inner join units
        on units.unit_code = coalesce(metrics.unit_code, dossiers.unit_code)
    where coalesce(metrics.received, 0) <> coalesce(dossiers.received, 0)
      and coalesce(units.valid_from, date '1900-01-01')
          <= last_day(coalesce(metrics.period_start, dossiers.period_start))
      and (units.valid_to is null
           or units.valid_to >= coalesce(metrics.period_start, dossiers.period_start))
),

area_mismatches as (
    select
        'AREA' as unit_code,
        area.period_start,
        area.received as in_deadline_metrics,
        coalesce(sum(dossiers.received), 0) as in_fct_dossier
    from area
    left join dossiers on dossiers.period_start = area.period_start
    group by area.period_start, area.received
    having area.received <> coalesce(sum(dossiers.received), 0)
)

select * from unit_mismatches
union all
select * from area_mismatches
