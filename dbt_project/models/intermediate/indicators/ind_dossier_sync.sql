-- DOSSIER_SYNC (indices.md §1, đồng bộ hồ sơ lên Cổng DVC quốc gia): dossiers received in the
-- period (one-stop reception) whose national copy exists at AS_OF ÷ the larger of the dossiers
-- received per the one-stop system and the national copies received in the period (NgayTiepNhan,
-- TrangThaiHoSo not 1 or 3, MaDonViXuLy in the roll-up): a copy the one-stop extract lacks still
-- weighs on the rate, as it does on the portal.
with

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
),

-- Inter-agency copies are excluded everywhere (§0.2), also when seen from the national side.
inter_agency_codes as (
    select distinct national_code from {{ ref('stg_motcua__dossiers') }}
    where inter_agency_copy and national_code is not null
),

national_copies as (
    select copies.unit_code, copies.received_at
    from {{ ref('stg_dvcqg__dossier_copies') }} as copies
    left join inter_agency_codes on inter_agency_codes.national_code = copies.national_code
    where copies.received_at is not null
      and copies.national_status not in (1, 3)
      and inter_agency_codes.national_code is null
),

periods as (
    select * from {{ ref('int_periods') }}
    where period_type <> 'as_of'
),

one_stop_per_unit as (
    select
        unit_code,
        period_type,
        period_start,
        count(*) as received_one_stop,
        count(case when has_national_copy then 1 end) as synced,
        0 as received_national
    from received
    group by unit_code, period_type, period_start
),

national_per_unit as (
    select
        national_copies.unit_code,
        periods.period_type,
        periods.period_start,
        0 as received_one_stop,
        0 as synced,
        count(*) as received_national
    from national_copies
    inner join periods
        on national_copies.received_at >= periods.starts_at
        and national_copies.received_at < periods.evaluated_at
    group by national_copies.unit_code, periods.period_type, periods.period_start
),

per_unit as (
    select * from one_stop_per_unit
    union all
    select * from national_per_unit
),

counted as (
    {{ roll_up_counts(
        'per_unit',
        numerator='sum(synced)',
        denominator='greatest(sum(received_one_stop), sum(received_national))'
    ) }}
)

{{ counts_on_spine('DOSSIER_SYNC') }}
