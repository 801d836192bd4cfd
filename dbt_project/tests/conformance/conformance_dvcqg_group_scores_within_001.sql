{{ config(enabled=var('dvcqg_reference_dir', '') != '') }}
-- Issue 5: every unit's (and the province's) published score of transparency, progress,
-- payment, satisfaction and digitisation, month and quarter, is recomputed from the published
-- counters within 0.01 — none may be left unrecomputed.
select *
from {{ ref('conformance_dvcqg__group_scores') }}
where group_code in ('TRANSPARENCY', 'PROGRESS', 'PAYMENT', 'SATISFACTION', 'DIGITIZATION')
    and (recomputed_total is null or abs_error > 0.01)
