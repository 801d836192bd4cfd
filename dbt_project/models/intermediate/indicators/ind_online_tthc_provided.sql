-- ONLINE_TTHC_PROVIDED (indices.md §3 A, TTHC cung cấp dịch vụ công trực tuyến): applicable
-- procedures (versions valid on min(period_end, AS_OF date) applied by a unit of the roll-up)
-- with an online service (FULL or PARTIAL) ÷ applicable procedures.
with

procedures as (
    select * from {{ ref('int_procedures__used_in_periods') }}
)

{{ share_on_spine('ONLINE_TTHC_PROVIDED', 'procedures', 'is_online_capable', grain='rollup') }}
