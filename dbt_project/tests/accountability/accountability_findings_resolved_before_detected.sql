-- A finding cannot stop applying before it first applied.
select finding_code, dossier_code, detected_at, resolved_at
from {{ ref('accountability_findings') }}
where resolved_at < detected_at
