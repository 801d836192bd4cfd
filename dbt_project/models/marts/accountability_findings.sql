-- Accountability worklists (indices.md §9, warehouse.md): one row per finding and dossier, with
-- the unit that must act, when the finding first applied, when it stopped applying and, in
-- Vietnamese, what is wrong, since when and what the rule requires. Each finding's rule lives
-- in its own model `int_finding_<code>`; who acts and the rule text come from `finding_catalog`.
{%- set finding_models = [
    'int_finding_late_without_apology',
    'int_finding_rescheduled_more_than_once',
    'int_finding_refused_without_written_reason',
    'int_finding_paused_without_explanation',
    'int_finding_multiple_supplement_requests',
    'int_finding_result_not_delivered_on_paper',
    'int_finding_not_synced',
    'int_finding_status_out_of_sync',
    'int_finding_not_digitized',
    'int_finding_hidden_extension',
] %}
with

findings as (
    {%- for model in finding_models %}
    select finding_code, dossier_id, detected_at, resolved_at, detail_vi from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

catalog as (
    select * from {{ ref('finding_catalog') }}
),

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
),

responsible as (
    select * from {{ ref('int_findings__responsible_units') }}
),

units as (
    select unit_code, unit_name from {{ ref('dim_unit') }}
),

as_of as (
    select * from {{ ref('int_findings__as_of') }}
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
),

-- Only what applied by AS_OF counts, and a finding resolved after AS_OF is still open at it
-- (this matters when the extract holds events later than the run's AS_OF).
assigned as (
    select
        findings.finding_code,
        findings.dossier_id,
        findings.detected_at,
        case when findings.resolved_at <= as_of.as_of then findings.resolved_at end as resolved_at,
        findings.detail_vi,
        catalog.responsible,
        catalog.rule_vi,
        dossiers.dossier_code,
        dossiers.national_code,
        dossiers.unit_code,
        dossiers.procedure_code,
        dossiers.received_at,
        case catalog.responsible
            when 'HANDLING_UNIT' then responsible.handling_responsible_code
            else responsible.counter_responsible_code
        end as responsible_unit_code,
        least(coalesce(findings.resolved_at, as_of.as_of), as_of.as_of) as open_until,
        as_of.as_of
    from findings
    inner join catalog on catalog.finding_code = findings.finding_code
    inner join dossiers on dossiers.dossier_id = findings.dossier_id
    left join responsible on responsible.unit_code = dossiers.unit_code
    cross join as_of
    where findings.detected_at <= as_of.as_of
)

select
    assigned.finding_code,
    assigned.dossier_code,
    assigned.national_code,
    assigned.unit_code,
    handling_unit.unit_name,
    assigned.procedure_code,
    assigned.received_at,
    assigned.responsible,
    assigned.responsible_unit_code,
    responsible_unit.unit_name as responsible_unit_name,
    assigned.detected_at,
    assigned.resolved_at,
    assigned.resolved_at is null as is_open,
    ({{ working_minute_index('assigned.open_until', 'until_day') }}
        - {{ working_minute_index('assigned.detected_at', 'detected_day') }}) / 480.0
        as working_days_open,
    assigned.detail_vi || ' Quy định: ' || assigned.rule_vi as detail_vi,
    assigned.as_of
from assigned
left join units as handling_unit on handling_unit.unit_code = assigned.unit_code
left join units as responsible_unit on responsible_unit.unit_code = assigned.responsible_unit_code
left join calendar as detected_day on detected_day.calendar_date = cast(assigned.detected_at as date)
left join calendar as until_day on until_day.calendar_date = cast(assigned.open_until as date)
