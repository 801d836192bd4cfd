-- One-stop dossiers (sources.md A.4): the latest landed version of each dossier, national
-- status mapped through the seed `motcua_status_map`. Personal data was hashed at landing.
-- A dossier whose unit or procedure the landed catalogues do not know can be neither
-- attributed nor timed: it is left out here (macros/attribution.sql), kept in
-- `audit.unattributed_dossiers`, listed in `audit.rejects` (issue 9) and counted by the
-- reconciliation tests (issue 16).
-- Materialized as a table (not the staging default, a view): read by many models, it is
-- computed once per build instead of once per reader (same rows either way); on DuckDB
-- incrementally (macros/incremental.sql).
-- The latest version is chosen on narrow keys and the record fetched once: a window over the
-- wide records (history, files, fees) cost most of this model's time. The nested lists are
-- reduced here to the per-dossier flags the models downstream test, so that this table, read
-- by many models, stays narrow.
{{ kept_by_dossier('stg_motcua__dossiers_changed') }}
-- The raw zone is named in each CTE that reads it rather than in a shared `source` CTE: DuckDB
-- materializes a CTE read twice, which here meant copying every column of every landed version
-- (history included) before the window on the keys.
with

{% if recomputes_subset() %}
-- Only the dossiers with a newer version since the previous build (their old rows were
-- deleted by the pre-hook); their latest version is in one of the new runs.
keys as (
    select dossier_id as id, updated_at, _extracted_at, _run_id
    from {{ ref('stg_motcua__dossiers_changed') }}
),

candidates as (
    select * from {{ source('raw', 'motcua_dossiers') }}
    where _run_id in {{ new_runs('motcua/dossiers') }}
),
{% else %}
keys as (
    select id, updated_at, _extracted_at, _run_id
    from {{ source('raw', 'motcua_dossiers') }}
    qualify row_number() over (
        partition by id order by updated_at desc, _extracted_at desc, _run_id desc
    ) = 1
),

candidates as (
    select * from {{ source('raw', 'motcua_dossiers') }}
),
{% endif %}

latest as (
    select candidates.*
    from candidates
    inner join keys
        on keys.id = candidates.id
        and keys.updated_at = candidates.updated_at
        and keys._extracted_at = candidates._extracted_at
        and keys._run_id = candidates._run_id
),

status_map as (
    select * from {{ ref('motcua_status_map') }}
),

renamed as (
    select
        latest.id as dossier_id,
        latest.code as dossier_code,
        latest.nation_code as national_code,
        latest.procedure_id as procedure_version_id,
        latest.procedure_code,
        latest.agency_id,
        latest.agency_code as unit_code,
        coalesce(latest.apply_method, 1) as channel,
        latest.result_delivery,
        latest.applicant_type,
        latest.applicant_key,
        latest.submitted_at,
        latest.accepted_at,
        latest.appointment_at,
        latest.completed_at,
        latest.returned_at,
        latest.updated_at as source_updated_at,
        latest.status_id as vendor_status_id,
        status_map.national_status,
        coalesce(latest.vneid_authenticated, false) as vneid_authenticated,
        coalesce(latest.inter_agency_copy, false) as inter_agency_copy,
        -- The per-dossier facts of the nested lists (files, fee lines, connected databases),
        -- computed in this one pass; the lists themselves are not kept (the history is read
        -- from the landed record by stg_motcua__dossier_steps, by the version keys below).
        {{ any_element(
            'latest.files', 'file',
            "file.kind = 'RESULT' and file.has_url and coalesce(file.result_code, '') <> ''"
        ) }} as has_e_result,
        {{ any_element('latest.files', 'file', "file.kind = 'RESULT'") }} as has_result_file,
        {{ any_element('latest.files', 'file', "file.kind = 'COMPONENT' and file.digitized") }}
            as has_digitized_component,
        {{ any_element('latest.files', 'file', 'file.reuse in (1, 2)') }} as has_reused_file,
        {{ any_element(
            'latest.files', 'file',
            "file.from_citizen_store or (file.kind = 'RESULT' and file.pushed_to_citizen_store)"
        ) }} as uses_citizen_store,
        coalesce(latest.vneid_authenticated, false)
            or coalesce({{ list_has('latest.connected_databases', "'CSDLQG_DAN_CU'") }}, false)
            as uses_citizen_data,
        -- PAYMENT_DOSSIER_ONLINE's population: a payable line (amount > 0, not exempt).
        {{ any_element('latest.fees', 'fee', "fee.amount > 0 and fee.status <> 'EXEMPT'") }}
            as has_payable_fee,
        -- REFUNDED lines are not paid (§4); the one-stop record is the system of record.
        {{ any_element(
            'latest.fees', 'fee',
            "fee.status = 'PAID' and fee.method in ('ONLINE_NATIONAL', 'ONLINE_PROVINCIAL')"
        ) }} as paid_online,
        latest.rating.value as rating,
        latest.rating.rated_at as rated_at,
        latest.reception_month,
        -- The landed version this row is (with source_updated_at), for the history's reader.
        latest._extracted_at as source_extracted_at,
        latest._run_id as source_run_id
    from latest
    left join status_map on status_map.vendor_status_id = latest.status_id
    where {{ missing_catalogue('latest.agency_code', 'latest.procedure_code') }} is null
)

select * from renamed
