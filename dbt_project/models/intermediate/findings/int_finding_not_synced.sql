-- NOT_SYNCED (indices.md §9): received more than 1 working day before AS_OF and no national
-- copy at AS_OF (MaHoSo = nationCode, never `code`). Its history cannot be read from one
-- extract, so the finding exists while it is open: detected when the first working day after
-- the normalised reception ran out, never resolved; once the copy appears the row leaves.
with

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
    where is_received
),

copies as (
    select national_code from {{ ref('stg_dvcqg__dossier_copies') }}
),

rule as (
    select grace_minutes from {{ ref('finding_catalog') }}
    where finding_code = 'NOT_SYNCED'
),

as_of as (
    select * from {{ ref('int_findings__as_of') }}
),

working_days as (
    select * from {{ ref('int_calendar__working_days') }} where is_working_day
),

unsynced as (
    select
        dossiers.dossier_id,
        dossiers.national_code,
        dossiers.received_at,
        dossiers.received_index + rule.grace_minutes as grace_index
    from dossiers
    cross join rule
    cross join as_of
    left join copies on copies.national_code = dossiers.national_code
    where copies.national_code is null
      and dossiers.received_index + rule.grace_minutes < as_of.as_of_index
),

dated as (
    select
        unsynced.*,
        {{ instant_in_office_day('grace_day.calendar_date', 'unsynced.grace_index - grace_day.working_day_ordinal * 480') }}
            as detected_at
    from unsynced
    inner join working_days as grace_day
        on grace_day.working_day_ordinal = {{ due_day_ordinal('unsynced.grace_index') }}
)

select
    'NOT_SYNCED' as finding_code,
    dossier_id,
    detected_at,
    cast(null as {{ instant_type() }}) as resolved_at,
    'Hồ sơ tiếp nhận lúc ' || {{ vi_instant('received_at') }}
    || ' chưa có bản đồng bộ trên Cổng Dịch vụ công quốc gia'
    || case
        when national_code is null then ' (hệ thống một cửa chưa có mã hồ sơ quốc gia)'
        else ' (mã ' || national_code || ' không có trên Cổng)'
    end
    || '; quá hạn đồng bộ từ ' || {{ vi_instant('detected_at') }} || '.' as detail_vi
from dated
