-- Dossiers that can be neither attributed nor timed (issue 16): the latest landed version of
-- every one-stop dossier whose unit or procedure the landed catalogues do not know (an agency
-- or procedure refused at the edge, or never sent). The one rule of macros/attribution.sql
-- keeps them out of stg_motcua__dossiers and so out of every mart; here they are kept, and
-- the reconciliation tests count them (every landed dossier is in fct_dossier or here, and
-- their share stays within the reject rate). Codes, dates and keys only: no personal data.
-- Kept by dossier (macros/incremental.sql): an incremental build recomputes the dossiers whose
-- latest version landed since the previous build (`stg_motcua__dossiers_changed`, which reads
-- the raw versions before attribution); a dossier's row depends on its own versions and on the
-- catalogues alone, and a change of the catalogues makes the build full (pipeline/build_skip.py).
{{ kept_by_dossier('stg_motcua__dossiers_changed', on_schema_change='fail') }}
with

latest_dossiers as (
    select id, code, agency_code, procedure_code, accepted_at, updated_at, _extracted_at, _run_id
    from {{ source('raw', 'motcua_dossiers') }}
    where {{ only_changed('id', 'stg_motcua__dossiers_changed') }}
    qualify row_number() over (
        partition by id order by updated_at desc, _extracted_at desc, _run_id desc
    ) = 1
),

classified as (
    select
        id as dossier_id,
        code as dossier_code,
        agency_code as unit_code,
        procedure_code,
        {{ missing_catalogue('agency_code', 'procedure_code') }} as missing,
        accepted_at as received_at,
        updated_at as source_updated_at,
        _run_id as run_id,
        _extracted_at as landed_at
    from latest_dossiers
)

select * from classified
where missing is not null
