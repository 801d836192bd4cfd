-- ONLINE_SERVICE_WITH_DOSSIERS (indices.md §3 B, dịch vụ công trực tuyến phát sinh hồ sơ):
-- applicable online-capable procedures (FULL or PARTIAL on the catalogue date) with at least one
-- dossier received online (channel 2) in the period by a unit of the roll-up ÷ applicable
-- online-capable procedures.
with

procedures as (
    select * from {{ ref('int_procedures__used_in_periods') }}
    where is_online_capable
)

{{ share_on_spine(
    'ONLINE_SERVICE_WITH_DOSSIERS', 'procedures', 'has_online_dossier', grain='rollup'
) }}
