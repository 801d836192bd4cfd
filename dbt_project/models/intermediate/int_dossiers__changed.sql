-- The dossiers whose per-dossier facts an incremental build recomputes: a newer version
-- landed (`stg_motcua__dossiers_changed`), or a national copy or a petition naming the
-- dossier's national code landed since the previous complete build (`int_dossiers__flagged`
-- reads both). A petition counts with every national code any of its versions named, so a
-- link that moved is dropped as well. Empty in a full build (macros/incremental.sql).
{{ config(materialized='table') }}
-- depends_on: {{ ref('stg_motcua__dossiers_changed') }}
-- depends_on: {{ source('raw', 'dvcqg_dossier_copies') }}
-- depends_on: {{ source('raw', 'dvcqg_petitions') }}
{% if incremental_build() %}
with

copies as (
    select distinct national_code
    from {{ source('raw', 'dvcqg_dossier_copies') }}
    where _run_id in {{ new_runs('dvcqg/dossier_copies') }}
),

petitions as (
    select petition_code, national_code from {{ source('raw', 'dvcqg_petitions') }}
),

petition_links as (
    select distinct nullif(trim(national_code), '') as national_code
    from petitions
    where petition_code in (
        select petition_code from {{ source('raw', 'dvcqg_petitions') }}
        where _run_id in {{ new_runs('dvcqg/petitions') }}
    )
),

national_codes as (
    select national_code from copies
    union
    select national_code from petition_links
),

changed as (
    select dossier_id from {{ ref('stg_motcua__dossiers_changed') }}
    union
    select dossiers.dossier_id
    from {{ ref('stg_motcua__dossiers') }} as dossiers
    inner join national_codes on national_codes.national_code = dossiers.national_code
)

select dossier_id from changed
{% else %}
select dossier_id from {{ ref('stg_motcua__dossiers') }} where false
{% endif %}
