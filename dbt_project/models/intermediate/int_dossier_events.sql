-- Dated events of each dossier, from the one-stop history (indices.md §2, §9).
-- terminal_at: the first status-9 step, else 10, else 7 or 8.
{{ kept_by_dossier('stg_motcua__dossiers_changed') }}
with

steps as (
    select * from {{ ref('stg_motcua__dossier_steps') }}
    where {{ only_changed('dossier_id', 'stg_motcua__dossiers_changed') }}
),

per_dossier as (
    select
        dossier_id,
        min(case when national_status = 9 then step_at end) as first_completed_at,
        min(case when national_status = 10 then step_at end) as first_returned_at,
        min(case when national_status in (7, 8) then step_at end) as first_withdrawn_or_stopped_at,
        min(case when national_status = 7 then step_at end) as withdrawn_at,
        min(case when national_status = 8 then step_at end) as stopped_at,
        min(case when action = 'RESULT_TO_COUNTER' then step_at end) as result_to_counter_at,
        count(case when action = 'REQUEST_SUPPLEMENT' then 1 end) as supplement_requests,
        count(case when action = 'APOLOGY' then 1 end) as apologies
    from steps
    group by dossier_id
)

select
    dossier_id,
    first_completed_at,
    first_returned_at,
    withdrawn_at,
    stopped_at,
    result_to_counter_at,
    coalesce(first_completed_at, first_returned_at) as finished_at,
    coalesce(first_completed_at, first_returned_at, first_withdrawn_or_stopped_at) as terminal_at,
    supplement_requests,
    apologies
from per_dossier
