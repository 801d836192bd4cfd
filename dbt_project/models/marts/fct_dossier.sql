-- One row per one-stop dossier (warehouse.md): the kept rows of `int_dossiers__facts` and the
-- instant they were evaluated at. A view (a table on Spark, which builds every model as one): the
-- run's AS_OF is one value of the view, not rewritten into every kept row each day (issue 20).
{{ config(materialized='table' if target.type == 'spark' else 'view') }}
select
    facts.*,
    {{ as_of() }} as as_of
from {{ ref('int_dossiers__facts') }} as facts
