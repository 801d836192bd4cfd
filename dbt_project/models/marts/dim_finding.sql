-- The accountability finding types (indices.md §9) as a public dimension: the Vietnamese name
-- and rule of each, who must act, when a finding can still be fixed and what to do, from the
-- seed `finding_catalog`, so that reports and analysts read them from the warehouse instead of
-- repeating them.
select
    finding_code,
    name_vi as finding_name_vi,
    rule_vi,
    responsible,
    actionable_when,
    action_vi
from {{ ref('finding_catalog') }}
