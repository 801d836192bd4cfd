-- Each petition (PAKN, phản ánh kiến nghị) in every period it was received in
-- (period_start <= NgayTiepNhan < T) with its state at T (indices.md §5). The answer is cut at
-- T; likes, dislikes and re-complaints are known at AS_OF (§0.1).
-- on time: answered before T and at or before HanXuLy, or unanswered at T with HanXuLy >= T.
-- A petition without HanXuLy cannot be shown on time and counts as overdue.
with

petitions as (
    select * from {{ ref('stg_dvcqg__petitions') }}
    where received_at is not null
),

periods as (
    select * from {{ ref('int_periods') }}
    where period_type <> 'as_of'
),

in_periods as (
    select
        petitions.petition_code,
        petitions.unit_code,
        periods.period_type,
        periods.period_start,
        periods.evaluated_at,
        coalesce(petitions.answered_at < periods.evaluated_at, false) as answered_before_evaluation,
        petitions.due_at,
        petitions.answered_at,
        coalesce(petitions.dislikes, 0) > coalesce(petitions.likes, 0) as is_disliked,
        coalesce(petitions.re_complaint, false) as re_complaint
    from petitions
    inner join periods
        on petitions.received_at >= periods.starts_at
        and petitions.received_at < periods.evaluated_at
)

select
    petition_code,
    unit_code,
    period_type,
    period_start,
    evaluated_at,
    answered_before_evaluation,
    coalesce(
        case
            when answered_before_evaluation then answered_at <= due_at
            else due_at >= evaluated_at
        end,
        false
    ) as is_on_time,
    is_disliked,
    re_complaint
from in_periods
