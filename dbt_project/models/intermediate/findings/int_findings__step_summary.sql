-- Per judged dossier, what the worklists read of its history up to AS_OF, one row per dossier
-- with steps: the national status of its last step (`int_findings__open_at_as_of`), when it
-- last left a wait on the citizen (statuses 5 and 6), the first step of the wait since then,
-- and whether its result went to the counter or back to the applicant (`dossier_watchlist`).
-- Depends on the dossier's steps alone, so it is kept by dossier like `int_findings__steps`:
-- an incremental build recomputes the dossiers of `int_findings__to_refresh` instead of
-- grouping every dossier's history again.
{{ kept_by_dossier('int_findings__to_refresh', keep_written_rows=true) }}
with

steps as (
    select * from {{ ref('int_findings__steps') }}
    where {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

summed as (
    select
        dossier_id,
        {{ arg_max_of('national_status', 'step_at') }} as last_step_status,
        max(case when national_status not in (5, 6) then step_at end) as last_active_at,
        bool_or(action = 'RESULT_TO_COUNTER') as result_at_counter,
        bool_or(action = 'RETURN') as returned
    from steps
    group by dossier_id
),

-- The uninterrupted run of statuses 5/6 at the end of the history: its first step (the wait
-- since then is the dossier's pause while its last status is 5 or 6).
waits as (
    select
        steps.dossier_id,
        min(steps.step_at) as paused_at,
        min(steps.step_index) as paused_index
    from steps
    inner join summed on summed.dossier_id = steps.dossier_id
    where summed.last_active_at is null or steps.step_at > summed.last_active_at
    group by steps.dossier_id
)

select
    summed.dossier_id,
    summed.last_step_status,
    summed.last_active_at,
    summed.result_at_counter,
    summed.returned,
    waits.paused_at,
    waits.paused_index
from summed
left join waits on waits.dossier_id = summed.dossier_id
