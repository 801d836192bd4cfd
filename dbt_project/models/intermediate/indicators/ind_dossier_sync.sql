-- DOSSIER_SYNC (indices.md §1, đồng bộ hồ sơ lên Cổng DVC quốc gia): dossiers received in the
-- period (one-stop reception) whose national copy exists at AS_OF ÷ the larger of the dossiers
-- received per the one-stop system and the national copies received in the period (NgayTiepNhan,
-- TrangThaiHoSo not 1 or 3, MaDonViXuLy in the roll-up): a copy the one-stop extract lacks still
-- weighs on the rate, as it does on the portal.
-- The one-stop side is the macro `dossier_sync__dossiers` (macros/dossier_indicators.sql), which
-- marts.fct_dossier_indicator lists; the national side is `dossier_sync__national_copies`.
with

dossiers as (
    {{ dossier_sync__dossiers() }}
),

national_per_unit as (
    {{ dossier_sync__national_copies() }}
),

per_unit as (
    select
        unit_code,
        period_type,
        period_start,
        count(*) as received_one_stop,
        count(case when in_numerator then 1 end) as synced,
        0 as received_national
    from dossiers
    group by unit_code, period_type, period_start
    union all
    select unit_code, period_type, period_start, 0, 0, received_national
    from national_per_unit
),

counted as (
    {{ roll_up_counts(
        'per_unit',
        numerator='sum(synced)',
        denominator='greatest(sum(received_one_stop), sum(received_national))'
    ) }}
)

{{ counts_on_spine('DOSSIER_SYNC') }}
