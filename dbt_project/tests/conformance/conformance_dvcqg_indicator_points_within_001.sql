{{ config(enabled=var('dvcqg_reference_dir', '') != '') }}
-- Issue 5: every published indicator score of transparency, progress, satisfaction and
-- digitisation is reproduced within 0.01 from its published counters (official indicators from
-- the portal's own ratio). Payment publishes no indicator scores; its totals are checked by
-- conformance_dvcqg_group_scores_within_001.
select *
from {{ ref('conformance_dvcqg__indicator_points') }}
where group_code in ('TRANSPARENCY', 'PROGRESS', 'PAYMENT', 'SATISFACTION', 'DIGITIZATION')
    and is_published
    and (abs_error is null or abs_error > 0.01)
