-- Every history step of every dossier (sources.md A.6), one row per step, with the national
-- status reached after it. Several rows per dossier: only the fields of a step that models
-- read are kept (the vendor status, the agencies it moved between, the officer and the note's
-- length stay in the raw zone until a model needs them).
-- Materialized as a table (not the staging default, a view): read by many models, it is
-- computed once per build instead of once per reader (same rows either way).
{{ kept_by_dossier('stg_motcua__dossiers_changed') }}
with

-- The history of each staged dossier's version, read from the landed record by the version
-- keys stg_motcua__dossiers keeps (that table does not carry the nested history itself).
source as (
    select id, updated_at, _extracted_at, _run_id, history
    from {{ source('raw', 'motcua_dossiers') }}
    {% if recomputes_subset() -%}
    -- A recomputed dossier's latest version is in one of the runs landed since the last build.
    where _run_id in {{ new_runs('motcua/dossiers') }}
    {%- endif %}
),

staged as (
    select dossier_id, source_updated_at, source_extracted_at, source_run_id
    from {{ ref('stg_motcua__dossiers') }}
    where {{ only_changed('dossier_id', 'stg_motcua__dossiers_changed') }}
),

dossiers as (
    select staged.dossier_id, source.history
    from staged
    inner join source
        on source.id = staged.dossier_id
        and source.updated_at = staged.source_updated_at
        and source._extracted_at = staged.source_extracted_at
        and source._run_id = staged.source_run_id
),

steps as (
    select
        dossier_id,
        {{ unnest_list('history') }} as step
    from dossiers
),

status_map as (
    select * from {{ ref('motcua_status_map') }}
),

renamed as (
    select
        steps.dossier_id,
        steps.step.seq as step_seq,
        steps.step.at as step_at,
        steps.step.action as action,
        status_map.national_status,
        coalesce(steps.step.has_note, false) as has_note,
        nullif(trim(steps.step.document_no), '') as document_no,
        steps.step.new_appointment_at
    from steps
    left join status_map on status_map.vendor_status_id = steps.step.status_id
)

select * from renamed
