{{ config(meta={"dagster": {"ref": {"name": "fct_dossier"}}}) }}
-- Nothing vanishes silently (issue 16): every one-stop dossier landed in the raw zone is in
-- marts.fct_dossier or in audit.unattributed_dossiers, exactly once in all; no join on
-- units, procedures or the calendar may drop one. A row here is a dossier that vanished
-- (published 0 times), is in both, or was published but never landed.
with

landed as (
    select distinct id as dossier_id from {{ source('raw', 'motcua_dossiers') }}
),

published as (
    select dossier_id, count(*) as times
    from (
        select dossier_id from {{ ref('fct_dossier') }}
        union all
        select dossier_id from {{ ref('unattributed_dossiers') }}
    )
    group by dossier_id
)

select
    coalesce(landed.dossier_id, published.dossier_id) as dossier_id,
    landed.dossier_id is not null as was_landed,
    coalesce(published.times, 0) as times_published
from landed
full outer join published on published.dossier_id = landed.dossier_id
where landed.dossier_id is null or coalesce(published.times, 0) <> 1
