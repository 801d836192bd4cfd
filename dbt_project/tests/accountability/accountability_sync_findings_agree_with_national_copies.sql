-- NOT_SYNCED and STATUS_OUT_OF_SYNC exist only while open (indices.md §9), a dossier reported
-- NOT_SYNCED has no national copy, and one reported STATUS_OUT_OF_SYNC has one.
with

findings as (
    select * from {{ ref('accountability_findings') }}
    where finding_code in ('NOT_SYNCED', 'STATUS_OUT_OF_SYNC')
),

copies as (
    select national_code from {{ ref('stg_dvcqg__dossier_copies') }}
)

select findings.finding_code, findings.dossier_code, findings.resolved_at
from findings
left join copies on copies.national_code = findings.national_code
where findings.resolved_at is not null
   or (findings.finding_code = 'NOT_SYNCED' and copies.national_code is not null)
   or (findings.finding_code = 'STATUS_OUT_OF_SYNC' and copies.national_code is null)
