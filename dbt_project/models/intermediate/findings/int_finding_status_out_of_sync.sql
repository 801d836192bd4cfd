-- STATUS_OUT_OF_SYNC (indices.md §9): the national copy's status (TrangThaiHoSo) differs from
-- the one-stop status throughout more than 1 working day ending at AS_OF. The copy has held
-- its status since its last sync (NgayDongBo); the one-stop record has differed from it since
-- the start of its uninterrupted run of statuses other than the copy's (the first step after
-- its last step at the copy's status, else its first step) — not merely since its last status
-- change: a record at 4 then 5 against a copy at 2 has differed throughout. They have differed
-- since the later of the two; the finding applies once 1 working day more has passed. Like
-- NOT_SYNCED it exists only while open.
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

mismatched as (
    select
        dossiers.dossier_id,
        dossiers.national_status,
        copies.national_status as copy_status,
        copies.synced_at
    from dossiers
    inner join copies on copies.national_code = dossiers.national_code
    where copies.national_status is distinct from dossiers.national_status
),

-- Each step of the mismatched dossiers in order, to find where the record's run of statuses
-- other than the copy's began. Only theirs: numbered over every judged dossier's history, the
-- steps cost most of a daily build's time here, for the few dossiers a copy disagrees with.
ordered_steps as (
    select
        steps.dossier_id,
        steps.step_at,
        steps.national_status,
        row_number() over (partition by steps.dossier_id order by steps.step_at, steps.step_seq)
            as step_no
    from {{ ref('int_findings__steps') }} as steps
    where steps.dossier_id in (select dossier_id from mismatched)
),

-- The first step after the last one at the copy's status (the first step when none was).
run_starts as (
    select
        mismatched.dossier_id,
        min(ordered_steps.step_at) filter (
            where ordered_steps.step_no > coalesce(last_same.step_no, 0)
        ) as run_started_at
    from mismatched
    inner join ordered_steps on ordered_steps.dossier_id = mismatched.dossier_id
    left join (
        select ordered_steps.dossier_id, max(ordered_steps.step_no) as step_no
        from ordered_steps
        inner join mismatched
            on mismatched.dossier_id = ordered_steps.dossier_id
            and ordered_steps.national_status = mismatched.copy_status
        group by ordered_steps.dossier_id
    ) as last_same on last_same.dossier_id = mismatched.dossier_id
    group by mismatched.dossier_id
),

differing as (
    select
        mismatched.*,
        greatest(run_starts.run_started_at, mismatched.synced_at) as differs_since
    from mismatched
    left join run_starts on run_starts.dossier_id = mismatched.dossier_id
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
