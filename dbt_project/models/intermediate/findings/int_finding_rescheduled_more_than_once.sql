-- RESCHEDULED_MORE_THAN_ONCE (indices.md §9): more than one APOLOGY with a new appointment,
-- under the 2018 regime only (Decree 61/2018 allows one reschedule). Detected at the second
-- reschedule; no later act undoes it, so it closes when the dossier leaves the process
-- (terminal): until then the unit must meet the second new appointment.
{{ kept_by_dossier('int_findings__to_refresh') }}
with

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
    where regime = '2018'
      and {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

reschedules as (
    select
        dossier_id,
        step_at,
        new_appointment_at,
        row_number() over (partition by dossier_id order by step_at, step_seq) as reschedule_no,
        count(*) over (partition by dossier_id) as reschedules
    from {{ ref('int_findings__steps') }}
    where action = 'APOLOGY' and new_appointment_at is not null
),

as_of as (
    select * from {{ ref('int_findings__as_of') }}
),

judged as (
    select
        dossiers.dossier_id,
        reschedules.reschedules,
        reschedules.step_at as detected_at,
        reschedules.new_appointment_at,
        case when dossiers.terminal_at <= as_of.as_of then dossiers.terminal_at end as resolved_at
    from dossiers
    inner join reschedules
        on reschedules.dossier_id = dossiers.dossier_id
        and reschedules.reschedule_no = 2
    cross join as_of
)

select
    'RESCHEDULED_MORE_THAN_ONCE' as finding_code,
    dossier_id,
    detected_at,
    resolved_at,
    'Hồ sơ được hẹn lại ngày trả kết quả ' || reschedules || ' lần; lần thứ hai lúc '
    || {{ vi_instant('detected_at') }} || ' (hẹn mới ' || {{ vi_instant('new_appointment_at') }} || ')'
    || case
        when resolved_at is null then ', hồ sơ vẫn đang giải quyết.'
        else ', hồ sơ kết thúc lúc ' || {{ vi_instant('resolved_at') }} || '.'
    end as detail_vi
from judged
