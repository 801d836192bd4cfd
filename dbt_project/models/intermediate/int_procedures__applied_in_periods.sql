-- Applicable procedures (indices.md §3): the procedure versions valid on each period's
-- catalogue date, min(period_end, AS_OF date), one row per applying unit (appliedAgencyCodes),
-- period and procedure code. A roll-up's applicable procedures are those of any of its units
-- (`int_procedures__used_in_periods`).
with

versions as (
    select * from {{ ref('stg_motcua__procedures') }}
),

periods as (
    select
        period_type,
        period_start,
        least(period_end, cast({{ as_of() }} as date)) as catalogue_date
    from {{ ref('int_periods') }}
    where period_type <> 'as_of'
),

applied as (
    select
        {{ unnest_list('versions.applied_agency_codes') }} as unit_code,
        versions.procedure_code,
        versions.online_level,
        versions.fee_amount,
        versions.citizen_facing,
        versions.valid_from,
        versions.valid_to
    from versions
),

valid as (
    select
        applied.unit_code,
        periods.period_type,
        periods.period_start,
        applied.procedure_code,
        -- online service level per Decree 42/2022: toàn trình (FULL) or một phần (PARTIAL)
        bool_or(applied.online_level in ('FULL', 'PARTIAL')) as is_online_capable,
        bool_or(applied.fee_amount > 0) as fee_bearing,
        bool_or(coalesce(applied.citizen_facing, false)) as citizen_facing
    from applied
    inner join periods
        on (applied.valid_from is null or applied.valid_from <= periods.catalogue_date)
        and (applied.valid_to is null or applied.valid_to >= periods.catalogue_date)
    group by applied.unit_code, periods.period_type, periods.period_start, applied.procedure_code
)

select * from valid
