-- HIDDEN_EXTENSION (indices.md §9, domain.md §4): the stored appointment (NgayHenTra) is later
-- than the statutory due instant of §0.4 by more than the tolerance (1 minute). The
-- appointment is written at reception, so it applies from the reception; it describes the
-- record and stays open (the index keeps comparing against the stored appointment).
{{ kept_by_dossier('int_findings__to_refresh') }}
with

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
    where is_received
      and appointment_at is not null
      and statutory_due_at is not null
      and {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

rule as (
    select grace_minutes from {{ ref('finding_catalog') }}
    where finding_code = 'HIDDEN_EXTENSION'
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

extended as (
    select
        dossiers.dossier_id,
        dossiers.received_at,
        dossiers.appointment_at,
        dossiers.statutory_due_at,
        ({{ working_minute_index('dossiers.appointment_at', 'appointment_day') }}
            - {{ working_minute_index('dossiers.statutory_due_at', 'due_day') }}) / 480.0
            as extra_working_days
    from dossiers
    cross join rule
    inner join calendar as appointment_day
        on appointment_day.calendar_date = cast(dossiers.appointment_at as date)
    inner join calendar as due_day
        on due_day.calendar_date = cast(dossiers.statutory_due_at as date)
    where dossiers.appointment_at
        > {{ add_microseconds('dossiers.statutory_due_at', 'cast(rule.grace_minutes as bigint) * 60000000') }}
)

select
    'HIDDEN_EXTENSION' as finding_code,
    dossier_id,
    received_at as detected_at,
    cast(null as {{ instant_type() }}) as resolved_at,
    'Ngày hẹn trả ghi khi tiếp nhận lúc ' || {{ vi_instant('received_at') }}
    || ' là ' || {{ vi_instant('appointment_at') }}
    || ', muộn hơn thời hạn luật định ' || {{ vi_instant('statutory_due_at') }}
    || ' (' || {{ vi_days('extra_working_days') }} || ' ngày làm việc).' as detail_vi
from extended
