-- Findings are judged at AS_OF: none is detected or resolved after it.
select finding_code, dossier_code, detected_at, resolved_at, as_of
from {{ ref('accountability_findings') }}
where detected_at > as_of or resolved_at > as_of
