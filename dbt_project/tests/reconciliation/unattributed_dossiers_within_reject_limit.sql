{{ config(meta={"dagster": {"ref": {"name": "unattributed_dossiers"}}}) }}
-- Agencies and procedures count toward the reject gate (issue 16): a unit or procedure that
-- the catalogues lack (refused at the edge, or never sent) takes its dossiers out of every
-- mart. Their share of the landed dossiers may not pass var('max_reject_rate'), the share of
-- records a landing may refuse (MAX_REJECT_RATE): one refused agency cannot silently empty
-- a ward's scores.
with

landed as (
    select count(distinct id) as dossiers from {{ source('raw', 'motcua_dossiers') }}
),

unattributed as (
    select count(*) as dossiers from {{ ref('unattributed_dossiers') }}
)

select unattributed.dossiers as unattributed, landed.dossiers as landed
from landed, unattributed
where landed.dossiers > 0
  and cast(unattributed.dossiers as double) / landed.dossiers > {{ var('max_reject_rate', 0.05) }}
