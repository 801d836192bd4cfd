-- Accountability worklists (indices.md §9, warehouse.md): one row per finding and dossier, with
-- the unit that must act, when the finding first applied, when it stopped applying and, in
-- Vietnamese, what is wrong, since when and what the rule requires. Each finding's rule lives
-- in its own model `int_finding_<code>` (gathered, with the dossier, in `int_findings__listed`);
-- who acts and the rule text come from `finding_catalog`. Whether an open finding can still be
-- fixed, and how, is the catalogue's `actionable_when` and `action_vi` (issue 19): ALWAYS,
-- DOSSIER_OPEN (the dossier still open at AS_OF, `int_findings__open_at_as_of`),
-- DOSSIER_OR_MONTH_OPEN (that, or received in the running month: its index is not closed yet)
-- or NEVER. By when it must be fixed is the catalogue's `act_by_rule`: AFTER_DETECTION
-- (`act_within_minutes` working minutes after detected_at), DOSSIER_DUE (the due instant the
-- index compares with), STATUTORY_DUE (§0.4's statutory due); null when nothing is to be done.
-- Rebuilt every day (its rows carry AS_OF), cheaply: every column that does not move with AS_OF,
-- the working-minute indices and the AFTER_DETECTION instant included, is in the kept rows of
-- `int_findings__listed`; here only the cut at AS_OF, the days open, who acts and whether.
with

findings as (
    select * from {{ ref('int_findings__listed') }}
),

catalog as (
    select * from {{ ref('finding_catalog') }}
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

open_at_as_of as (
    select dossier_id, is_open from {{ ref('int_findings__open_at_as_of') }}
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
        catalog.actionable_when,
        catalog.action_vi,
        catalog.act_by_rule,
        coalesce(open_at_as_of.is_open, false) as dossier_is_open,
        -- Received in the running month (indices.md §0.1): the month's index still moves.
        coalesce(
            findings.received_at >= cast(date_trunc('month', cast(as_of.as_of as date)) as {{ instant_type() }}),
            false
        ) as received_in_running_month,
        findings.due_at,
        findings.statutory_due_at,
        findings.act_after_detection_at,
        findings.dossier_code,
        findings.national_code,
        findings.unit_code,
        findings.procedure_code,
        findings.received_at,
        case catalog.responsible
            when 'HANDLING_UNIT' then responsible.handling_responsible_code
            else responsible.counter_responsible_code
        end as responsible_unit_code,
        findings.detected_index,
        -- The index of least(coalesce(resolved_at, AS_OF), AS_OF).
        case
            when findings.resolved_at <= as_of.as_of then findings.resolved_index
            else as_of.as_of_index
        end as until_index,
        as_of.as_of
    from findings
    inner join catalog on catalog.finding_code = findings.finding_code
    left join responsible on responsible.unit_code = findings.unit_code
    left join open_at_as_of on open_at_as_of.dossier_id = findings.dossier_id
    cross join as_of
    where findings.detected_at <= as_of.as_of
),

judged as (
    select
        assigned.*,
        assigned.resolved_at is null and case assigned.actionable_when
            when 'ALWAYS' then true
            when 'DOSSIER_OPEN' then assigned.dossier_is_open
            when 'DOSSIER_OR_MONTH_OPEN' then assigned.dossier_is_open or assigned.received_in_running_month
            else false
        end as is_actionable
    from assigned
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
    (assigned.until_index - assigned.detected_index) / 480.0 as working_days_open,
    assigned.detail_vi || ' Quy định: ' || assigned.rule_vi as detail_vi,
    assigned.as_of,
    assigned.is_actionable,
    assigned.action_vi,
    case when assigned.is_actionable then
        case assigned.act_by_rule
            when 'AFTER_DETECTION' then assigned.act_after_detection_at
            when 'DOSSIER_DUE' then assigned.due_at
            when 'STATUTORY_DUE' then assigned.statutory_due_at
        end
    end as act_by
from judged as assigned
left join units as handling_unit on handling_unit.unit_code = assigned.unit_code
left join units as responsible_unit on responsible_unit.unit_code = assigned.responsible_unit_code
