-- PETITION_HANDLING_SATISFACTION (indices.md §5, mức độ hài lòng xử lý PAKN): petitions received
-- in the period minus those with more dislikes than likes, overdue at T (not on time as
-- PETITION_PROCESSING_ON_TIME judges it: answered late, or unanswered past HanXuLy) or
-- re-complained (KhieuNaiLai) ÷ petitions received in the period. No petition: 6 points.
with

petitions as (
    select * from {{ ref('int_petitions__received_in_periods') }}
)

{{ share_on_spine(
    'PETITION_HANDLING_SATISFACTION',
    'petitions',
    'not (is_disliked or not is_on_time or re_complaint)'
) }}
