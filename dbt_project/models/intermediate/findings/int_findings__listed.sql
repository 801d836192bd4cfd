-- Every finding of every judged dossier (indices.md §9), one row per finding and dossier, with
-- the dossier's identifying facts: the part of the worklists that does not move with AS_OF
-- (`accountability_findings` cuts it at AS_OF and counts the days open). Each finding's rule
-- lives in its own model `int_finding_<code>`.
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
)

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
    findings.detail_vi
from findings
inner join dossiers on dossiers.dossier_id = findings.dossier_id
