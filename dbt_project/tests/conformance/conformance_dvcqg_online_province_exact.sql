{{ config(enabled=var('dvcqg_reference_dir', '') != '') }}
-- indices.md §3: min(2, 2·A/0.8) + 4·B + min(6, 6·C/0.5) reproduces the province's ONLINE score
-- (8.83 in month 8/2026) exactly; the units publish no counters, so only the province is checked.
select *
from {{ ref('conformance_dvcqg__group_scores') }}
where group_code = 'ONLINE'
    and is_province
    and recomputed_total is distinct from published_total
