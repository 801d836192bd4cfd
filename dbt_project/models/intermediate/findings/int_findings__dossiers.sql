-- The dossiers the worklists judge (indices.md §9): every one-stop dossier except inter-agency
-- copies, with the per-dossier facts of `fct_dossier` (progress status at AS_OF, original due,
-- regime) so that a finding always agrees with what analysts read there, plus what only the
-- source record holds (the stored appointment, how the result is returned). Incremental like
-- `fct_dossier`, whose progress status it carries.
{{ kept_by_dossier('int_dossiers__to_refresh', keep_written_rows=true) }}
with

facts as (
    select * from {{ ref('fct_dossier') }}
    where progress_status <> 'EXCLUDED'
      and {{ only_changed('dossier_id', 'int_dossiers__to_refresh') }}
),

dossiers as (
    select * from {{ ref('stg_motcua__dossiers') }}
),

versions as (
    select * from {{ ref('stg_motcua__procedures') }}
),

current_versions as (
    select * from {{ ref('int_procedures__current') }}
),

due as (
    select dossier_id, received_index from {{ ref('int_dossiers__statutory_due') }}
)

select
    facts.dossier_id,
    facts.dossier_code,
    facts.national_code,
    facts.unit_code,
    facts.procedure_code,
    facts.progress_status,
    facts.progress_status <> 'NOT_RECEIVED' as is_received,
    facts.received_at,
    due.received_index,
    dossiers.appointment_at,
    facts.statutory_due_at,
    facts.due_at,
    facts.finished_at,
    facts.terminal_at,
    facts.national_status,
    facts.is_digitized,
    facts.regime,
    dossiers.result_delivery,
    -- The dossier's own catalogue version decides; the current version only when it names none.
    coalesce(versions.result_is_document, current_versions.result_is_document, false)
        as result_is_document
from facts
inner join dossiers on dossiers.dossier_id = facts.dossier_id
left join due on due.dossier_id = facts.dossier_id
left join versions on versions.procedure_version_id = dossiers.procedure_version_id
left join current_versions on current_versions.procedure_code = dossiers.procedure_code
