-- The dossiers whose latest version landed in a raw run since the previous complete build
-- (DBT_NEW_RUNS), with that version's keys: what an incremental build replaces in
-- `stg_motcua__dossiers` and the per-dossier models after it. The latest version is decided
-- over every landed version of those dossiers, so a late-landed older version changes nothing.
-- Empty in a full build (macros/incremental.sql).
{{ config(materialized='table') }}
with

source as (
    select id, updated_at, _extracted_at, _run_id
    from {{ source('raw', 'motcua_dossiers') }}
),

{% if incremental_build() %}
touched as (
    select distinct id from source where _run_id in {{ new_runs('motcua/dossiers') }}
),

latest as (
    select source.*
    from source
    inner join touched on touched.id = source.id
    qualify row_number() over (
        partition by source.id
        order by source.updated_at desc, source._extracted_at desc, source._run_id desc
    ) = 1
)

select id as dossier_id, updated_at, _extracted_at, _run_id
from latest
where _run_id in {{ new_runs('motcua/dossiers') }}
{% else %}
latest as (
    select * from source where false
)

select id as dossier_id, updated_at, _extracted_at, _run_id from latest
{% endif %}
