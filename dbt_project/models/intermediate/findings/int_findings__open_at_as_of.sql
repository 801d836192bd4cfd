-- Each judged dossier's national status at AS_OF (its last step by then; the record's status when
-- it has no step) and whether it is still open for the worklists (issue 19): in progress at
-- AS_OF, or finished (status 9) and not yet handed to the applicant — an apology, a call or a
-- paper hand-over still helps it. Read by accountability_findings (is_actionable) and
-- dossier_watchlist, so that both mean the same by "open".
with

dossiers as (
    select dossier_id, progress_status, national_status from {{ ref('int_findings__dossiers') }}
),

last_steps as (
    select dossier_id, {{ arg_max_of('national_status', 'step_at') }} as status_at_as_of
    from {{ ref('int_findings__steps') }}
    group by dossier_id
)

select
    dossiers.dossier_id,
    coalesce(last_steps.status_at_as_of, dossiers.national_status) as status_at_as_of,
    {{ dossier_open_at_as_of(
        'dossiers.progress_status', 'coalesce(last_steps.status_at_as_of, dossiers.national_status)'
    ) }} as is_open
from dossiers
left join last_steps on last_steps.dossier_id = dossiers.dossier_id
