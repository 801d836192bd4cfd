-- One row per procedure code: its latest catalogue version (the dossier carries the code).
select *
from {{ ref('stg_motcua__procedures') }}
qualify row_number() over (
    partition by procedure_code order by valid_from desc nulls last, procedure_version_id desc
) = 1
