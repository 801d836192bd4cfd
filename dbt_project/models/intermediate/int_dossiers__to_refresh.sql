-- The dossiers whose dossier x period rows an incremental build recomputes: those of
-- `int_dossiers__changed`, and every dossier not both received and terminal before the
-- previous build's AS_OF. A row of a dossier received and terminal before it depends on the
-- AS_OF only through the periods' `evaluated_at` (updated in place, macros/incremental.sql).
-- Empty in a full build.
{{ config(materialized='table') }}
-- depends_on: {{ ref('int_dossiers__changed') }}
-- depends_on: {{ ref('int_dossier_events') }}
{% if incremental_build() %}
with

open_then as (
    select dossiers.dossier_id
    from {{ ref('stg_motcua__dossiers') }} as dossiers
    left join {{ ref('int_dossier_events') }} as events on events.dossier_id = dossiers.dossier_id
    where dossiers.accepted_at is null
       or dossiers.accepted_at >= {{ previous_as_of() }}
       or events.terminal_at is null
       or events.terminal_at >= {{ previous_as_of() }}
),

refreshed as (
    select dossier_id from {{ ref('int_dossiers__changed') }}
    union
    select dossier_id from open_then
)

select dossier_id from refreshed
{% else %}
select dossier_id from {{ ref('stg_motcua__dossiers') }} where false
{% endif %}
