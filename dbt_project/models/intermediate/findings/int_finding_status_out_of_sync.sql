-- STATUS_OUT_OF_SYNC (indices.md §9): the national copy's status (TrangThaiHoSo) differs from
-- the one-stop status throughout more than 1 working day ending at AS_OF. The copy has held
-- its status since its last sync (NgayDongBo) and the one-stop record since its last status
-- change, so they have differed at least since the later of the two; the finding applies once
-- 1 working day more has passed. Like NOT_SYNCED it exists only while open.
with

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
    where is_received and national_code is not null
),

copies as (
    select * from {{ ref('stg_dvcqg__dossier_copies') }}
),

status_names as (
    select national_status, min(vendor_status_name) as status_name
    from {{ ref('motcua_status_map') }}
    group by national_status
),

-- A step entering a new status; steps keeping it (APOLOGY, CONTACT_CITIZEN) do not count.
status_changes as (
    select dossier_id, max(step_at) as changed_at
    from (
        select
            dossier_id,
            step_at,
            national_status,
            lag(national_status) over (partition by dossier_id order by step_at, step_seq)
                as previous_status
        from {{ ref('int_findings__steps') }}
    )
    where national_status is distinct from previous_status
    group by dossier_id
),

rule as (
    select grace_minutes from {{ ref('finding_catalog') }}
    where finding_code = 'STATUS_OUT_OF_SYNC'
),

as_of as (
    select * from {{ ref('int_findings__as_of') }}
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

differing as (
    select
        dossiers.dossier_id,
        dossiers.national_status,
        copies.national_status as copy_status,
        copies.synced_at,
        greatest(status_changes.changed_at, copies.synced_at) as differs_since
    from dossiers
    inner join copies on copies.national_code = dossiers.national_code
    left join status_changes on status_changes.dossier_id = dossiers.dossier_id
    where copies.national_status is distinct from dossiers.national_status
),

indexed as (
    select
        differing.*,
        {{ working_minute_index('differing.differs_since', 'since_day') }} + rule.grace_minutes
            as grace_index
    from differing
    cross join rule
    inner join calendar as since_day on since_day.calendar_date = cast(differing.differs_since as date)
),

dated as (
    select
        indexed.*,
        {{ instant_in_office_day('grace_day.calendar_date', 'indexed.grace_index - grace_day.working_day_ordinal * 480') }}
            as detected_at
    from indexed
    cross join as_of
    inner join calendar as grace_day
        on grace_day.is_working_day
        and grace_day.working_day_ordinal = {{ due_day_ordinal('indexed.grace_index') }}
    where indexed.grace_index < as_of.as_of_index
)

select
    'STATUS_OUT_OF_SYNC' as finding_code,
    dated.dossier_id,
    dated.detected_at,
    cast(null as {{ instant_type() }}) as resolved_at,
    'Trạng thái trên Cổng Dịch vụ công quốc gia (' || coalesce(copy_names.status_name, '?')
    || ', mã ' || coalesce(cast(dated.copy_status as string), '?')
    || ', đồng bộ lần cuối ' || {{ vi_instant('dated.synced_at') }}
    || ') khác trạng thái trên hệ thống một cửa (' || coalesce(own_names.status_name, '?')
    || ', mã ' || coalesce(cast(dated.national_status as string), '?')
    || ') từ ' || {{ vi_instant('dated.differs_since') }}
    || '; quá hạn cập nhật từ ' || {{ vi_instant('dated.detected_at') }} || '.' as detail_vi
from dated
left join status_names as copy_names on copy_names.national_status = dated.copy_status
left join status_names as own_names on own_names.national_status = dated.national_status
