{{ config(meta={"dagster": {"ref": {"name": "fct_dossier_indicator"}}}) }}
-- Every dossier that cost a point says why in Vietnamese (its reason code has a text in the seed
-- dossier_indicator_reasons), and no dossier in the numerator carries a reason. A row's verdict is
-- its own: a daily build reads only the rows it wrote (macros/incremental.sql `written_rows`).
select indicator_code, reason_code, count(*) as dossier_periods
from {{ written_rows(ref('fct_dossier_indicator')) }}
where (not in_numerator and (reason_code is null or reason_vi is null))
   or (in_numerator and (reason_code is not null or reason_vi is not null))
group by indicator_code, reason_code
