-- PETITION_PROCESSING_ON_TIME (indices.md §5, xử lý phản ánh kiến nghị đúng hạn): petitions (PAKN,
-- by MaDonVi) received in the period that were answered at or before HanXuLy before T, or are
-- unanswered at T with HanXuLy >= T (rule in `int_petitions__received_in_periods`) ÷ petitions
-- received in the period. No petition: 6 points (catalog, observed).
with

petitions as (
    select * from {{ ref('int_petitions__received_in_periods') }}
)

{{ share_on_spine('PETITION_PROCESSING_ON_TIME', 'petitions', 'is_on_time') }}
