-- The catalogue's deadline rule and its actionable rule agree: a record-only finding type
-- (NEVER) has no deadline (NONE), every other one has one, and AFTER_DETECTION says how long.
select finding_code, actionable_when, act_by_rule, act_within_minutes
from {{ ref('finding_catalog') }}
where (actionable_when = 'NEVER') <> (act_by_rule = 'NONE')
   or (act_by_rule = 'AFTER_DETECTION') <> (act_within_minutes is not null)
   or act_within_minutes < 0
