-- Every finding of every judged dossier (indices.md §9), one row per finding and dossier, with
-- the dossier's identifying facts and all of the worklists that does not move with AS_OF: the
-- working-minute indices of detection and resolution, the dossier's dues and the instant an
-- AFTER_DETECTION finding must be acted on (`accountability_findings` cuts the rows at AS_OF,
-- counts the days open from these indices and says who acts and whether, with no calendar
-- join of its own: its daily rebuild reads kept rows). Each finding's rule lives in its own
-- model `int_finding_<code>`.
-- Incremental (macros/incremental.sql): the findings of `int_findings__to_refresh` are
-- recomputed; NOT_SYNCED and STATUS_OUT_OF_SYNC, full tables, are taken whole again.
{%- set per_dossier_models = [
    'int_finding_late_without_apology',
    'int_finding_rescheduled_more_than_once',
    'int_finding_refused_without_written_reason',
    'int_finding_paused_without_explanation',
    'int_finding_multiple_supplement_requests',
    'int_finding_result_not_delivered_on_paper',
    'int_finding_not_digitized',
    'int_finding_hidden_extension',
] %}
{%- set whole_models = ['int_finding_not_synced', 'int_finding_status_out_of_sync'] %}
{{ config(
    materialized=dossier_materialization(),
    incremental_strategy='append',
    pre_hook=[
        "{{ delete_dossiers('int_findings__to_refresh') }}",
        "{{ delete_where(\"finding_code in ('NOT_SYNCED', 'STATUS_OUT_OF_SYNC')\") }}",
    ],
) }}
-- depends_on: {{ ref('int_findings__to_refresh') }}
with

findings as (
    {%- for model in per_dossier_models %}
    select finding_code, dossier_id, detected_at, resolved_at, detail_vi from {{ ref(model) }}
    where {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
    union all
    {%- endfor %}
    {%- for model in whole_models %}
    select finding_code, dossier_id, detected_at, resolved_at, detail_vi from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
),

catalog as (
    select finding_code, act_by_rule, act_within_minutes from {{ ref('finding_catalog') }}
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

indexed as (
    select
        findings.finding_code,
        findings.dossier_id,
        dossiers.dossier_code,
        dossiers.national_code,
        dossiers.unit_code,
        dossiers.procedure_code,
        dossiers.received_at,
        findings.detected_at,
        findings.resolved_at,
        findings.detail_vi,
        dossiers.due_at,
        dossiers.statutory_due_at,
        {{ working_minute_index('findings.detected_at', 'detected_day') }} as detected_index,
        {{ working_minute_index('findings.resolved_at', 'resolved_day') }} as resolved_index,
        catalog.act_by_rule,
        catalog.act_within_minutes
    from findings
    inner join dossiers on dossiers.dossier_id = findings.dossier_id
    left join catalog on catalog.finding_code = findings.finding_code
    left join calendar as detected_day on detected_day.calendar_date = cast(findings.detected_at as date)
    left join calendar as resolved_day on resolved_day.calendar_date = cast(findings.resolved_at as date)
),

-- AFTER_DETECTION as an instant: `minute` office minutes into the working day its index ends on
-- (a deadline at a day's close is 17:00 of that day, as for the graces). Whether it is asked
-- for (the finding still actionable at AS_OF) is decided in accountability_findings.
after_detection as (
    select finding_code, dossier_id, detected_index + act_within_minutes as act_by_index
    from indexed
    where act_by_rule = 'AFTER_DETECTION'
),

act_after_detection as (
    select
        after_detection.finding_code,
        after_detection.dossier_id,
        {{ instant_in_office_day('act_day.calendar_date', '(after_detection.act_by_index - act_day.working_day_ordinal * 480)') }}
            as act_by
    from after_detection
    inner join calendar as act_day
        on act_day.is_working_day
        and act_day.working_day_ordinal = {{ due_day_ordinal('(after_detection.act_by_index)') }}
)

select
    indexed.finding_code,
    indexed.dossier_id,
    indexed.dossier_code,
    indexed.national_code,
    indexed.unit_code,
    indexed.procedure_code,
    indexed.received_at,
    indexed.detected_at,
    indexed.resolved_at,
    indexed.detail_vi,
    indexed.due_at,
    indexed.statutory_due_at,
    indexed.detected_index,
    indexed.resolved_index,
    act_after_detection.act_by as act_after_detection_at
from indexed
left join act_after_detection
    on act_after_detection.finding_code = indexed.finding_code
    and act_after_detection.dossier_id = indexed.dossier_id
