-- CITIZEN_DATA_CONNECTED_FORMALITY (indices.md §6, TTHC khai thác dữ liệu dân cư): citizen-facing
-- procedures with at least one dossier received in the period that used VNeID or the
-- population database ÷ citizen-facing procedures with at least one dossier received in the
-- period, both among the dossiers of the roll-up's units.
with

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
    where citizen_facing
),

per_unit as (
    select
        unit_code,
        period_type,
        period_start,
        procedure_code,
        bool_or(uses_citizen_data) as uses_citizen_data
    from received
    group by unit_code, period_type, period_start, procedure_code
),

counted as (
    {{ roll_up_counts(
        'per_unit',
        numerator='count(distinct case when uses_citizen_data then procedure_code end)',
        denominator='count(distinct procedure_code)'
    ) }}
)

{{ counts_on_spine('CITIZEN_DATA_CONNECTED_FORMALITY') }}
