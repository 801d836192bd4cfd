{{ config(meta={"dagster": {"ref": {"name": "fct_dossier_indicator"}}}) }}
-- The drill-down is the index (issue 19): for every SELF row of fct_indicator of an indicator
-- counted over dossiers, the dossiers of fct_dossier_indicator in the numerator and in all are
-- its numerator and denominator. DOSSIER_SYNC's denominator is the larger of its one-stop
-- dossiers and the national copies received (the copies the one-stop extract lacks have no
-- dossier to list, indices.md §1), read from the same macro ind_dossier_sync reads.
-- A row here is a unit, period and indicator where the list and the number disagree.
with

listed as (
    select
        unit_code, period_type, period_start, indicator_code,
        count(case when in_numerator then 1 end) as numerator,
        count(*) as denominator
    from {{ ref('fct_dossier_indicator') }}
    group by unit_code, period_type, period_start, indicator_code
),

national as (
    {{ dossier_sync__national_copies() }}
),

indicators as (
    select * from {{ ref('fct_indicator') }}
    where rollup = 'SELF'
      and indicator_code in (
        {%- for code in dossier_indicator_macros().keys() %}'{{ code }}'{{ ', ' if not loop.last }}{% endfor -%}
      )
)

select
    indicators.unit_code,
    indicators.period_type,
    indicators.period_start,
    indicators.indicator_code,
    indicators.numerator,
    indicators.denominator,
    coalesce(listed.numerator, 0) as listed_numerator,
    coalesce(listed.denominator, 0) as listed_denominator
from indicators
left join listed
    on listed.unit_code = indicators.unit_code
    and listed.period_type = indicators.period_type
    and listed.period_start = indicators.period_start
    and listed.indicator_code = indicators.indicator_code
left join national
    on indicators.indicator_code = 'DOSSIER_SYNC'
    and national.unit_code = indicators.unit_code
    and national.period_type = indicators.period_type
    and national.period_start = indicators.period_start
where indicators.numerator <> coalesce(listed.numerator, 0)
   or indicators.denominator <> case
        when indicators.indicator_code = 'DOSSIER_SYNC'
            then greatest(coalesce(listed.denominator, 0), coalesce(national.received_national, 0))
        else coalesce(listed.denominator, 0)
    end
