-- Every finding someone can still fix says by when (act_by), and only those do: a record-only
-- finding has nothing to do by any time.
select finding_code, dossier_code, is_actionable, act_by
from {{ ref('accountability_findings') }}
where is_actionable <> (act_by is not null)
