-- Each counted dossier in every period it was received in (one month, one quarter, one year:
-- period_start <= reception < T, indices.md §0.1), with the facts of `int_dossiers__flagged`
-- the reception-window indicators and deadline_metrics test, and whether it finished (first
-- status 9, else 10) before T. The population of every "reception in period" indicator and of
-- the reception counts of deadline_metrics. Three rows per dossier: only the columns those
-- readers use are kept (the rest of a dossier's facts stay in `int_dossiers__flagged`).
{{ kept_by_dossier('int_dossiers__to_refresh', post_hook="{{ refresh_evaluated_at() }}") }}
with

dossiers as (
    select * from {{ ref('int_dossiers__flagged') }}
    where {{ only_changed('dossier_id', 'int_dossiers__to_refresh') }}
),

periods as (
    select * from {{ ref('int_periods') }}
    where period_type <> 'as_of'
)

select
    dossiers.dossier_id,
    dossiers.unit_code,
    dossiers.procedure_code,
    dossiers.channel,
    dossiers.fee_bearing,
    dossiers.result_is_document,
    dossiers.citizen_facing,
    dossiers.has_e_result,
    dossiers.has_result_file,
    dossiers.has_digitized_component,
    dossiers.has_reused_file,
    dossiers.uses_citizen_store,
    dossiers.uses_citizen_data,
    dossiers.has_payable_fee,
    dossiers.paid_online,
    dossiers.has_national_copy,
    dossiers.national_copy_has_fees,
    periods.period_type,
    periods.period_start,
    periods.evaluated_at,
    coalesce(dossiers.finished_at < periods.evaluated_at, false) as finished_before_evaluation
from dossiers
inner join periods
    on dossiers.received_at >= periods.starts_at
    and dossiers.received_at < periods.evaluated_at
