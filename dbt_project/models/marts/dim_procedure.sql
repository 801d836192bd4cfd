-- The procedure catalogue (sources.md A.3): the current version of each procedure code.
select
    procedure_code,
    procedure_name,
    sector_code,
    online_level,
    full_online_eligible,
    processing_time,
    processing_time_unit,
    same_day_cutoff,
    fee_amount > 0 as fee_bearing,
    result_is_document,
    citizen_facing
from {{ ref('int_procedures__current') }}
