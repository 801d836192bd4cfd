-- The one-stop record gets its nationCode from the first sync, so a dossier carrying one must
-- have a national copy with that MaHoSo in an extract taken at the same AS_OF.
select dossiers.dossier_code, dossiers.national_code
from {{ ref('fct_dossier') }} as dossiers
left join {{ ref('stg_dvcqg__dossier_copies') }} as copies
    on copies.national_code = dossiers.national_code
where dossiers.is_synced
  and dossiers.progress_status <> 'EXCLUDED'
  and copies.national_code is null
