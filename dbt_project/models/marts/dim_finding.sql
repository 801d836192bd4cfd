-- The accountability finding types (indices.md §9) as a public dimension: the Vietnamese name
-- and rule of each, who must act, when a finding can still be fixed, what to do and by when, from the
-- seed `finding_catalog`, so that reports and analysts read them from the warehouse instead of
-- repeating them.
select
    finding_code,
    name_vi as finding_name_vi,
    rule_vi,
    responsible,
    actionable_when,
    action_vi,
    act_by_rule,
    act_within_minutes
from {{ ref('finding_catalog') }}
