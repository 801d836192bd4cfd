-- PLACEHOLDER (issue 5, indicators): typed and empty until the national-portal connector's
-- staging model replaces this file. One row per official metric (sources.md B.2).
select
    cast(null as varchar) as unit_code,
    cast(null as varchar) as department_id,
    cast(null as boolean) as is_root,
    cast(null as varchar) as period_type,
    cast(null as date) as period_start,
    cast(null as varchar) as indicator_code,
    cast(null as bigint) as numerator,
    cast(null as bigint) as denominator,
    cast(null as double) as ratio_percent,
    cast(null as double) as score,
    cast(null as double) as max_score
where false
