-- MULTIPLE_SUPPLEMENT_REQUESTS (indices.md §9): two or more supplement requests (form 02).
-- Detected at the second request, the moment the index starts counting the dossier late while
-- it waits; it closes when the citizen answers the last request or, failing that, when the
-- dossier leaves the process. Open while the dossier still waits on repeated paperwork.
{{ kept_by_dossier('int_findings__to_refresh') }}
with

dossiers as (
    select * from {{ ref('int_findings__dossiers') }}
    where {{ only_changed('dossier_id', 'int_findings__to_refresh') }}
),

as_of as (
    select * from {{ ref('int_findings__as_of') }}
),

rounds as (
    select rounds.*
    from {{ ref('int_supplement_rounds') }} as rounds
    cross join as_of
    where rounds.requested_at <= as_of.as_of
      and {{ only_changed('rounds.dossier_id', 'int_findings__to_refresh') }}
),

-- The latest request decides whether the dossier still waits (arg_max would skip a null receipt).
counted as (
    select
        dossier_id,
        count(*) over (partition by dossier_id) as requests,
        min(case when round_no = 2 then requested_at end) over (partition by dossier_id)
            as detected_at,
        received_at as last_answered_at
    from rounds
    qualify row_number() over (partition by dossier_id order by round_no desc) = 1
        and requests >= 2
),

judged as (
    select
        counted.dossier_id,
        counted.requests,
        counted.detected_at,
        case when counted.last_answered_at <= as_of.as_of then counted.last_answered_at end
            as last_answered_at,
        case when dossiers.terminal_at <= as_of.as_of then dossiers.terminal_at end as terminal_at
    from counted
    inner join dossiers on dossiers.dossier_id = counted.dossier_id
    cross join as_of
)

select
    'MULTIPLE_SUPPLEMENT_REQUESTS' as finding_code,
    dossier_id,
    detected_at,
    coalesce(last_answered_at, terminal_at) as resolved_at,
    'Hồ sơ bị yêu cầu bổ sung ' || requests || ' lần; lần thứ hai lúc ' || {{ vi_instant('detected_at') }}
    || case
        when last_answered_at is not null
            then ', công dân bổ sung xong lúc ' || {{ vi_instant('last_answered_at') }} || '.'
        when terminal_at is not null
            then ', hồ sơ kết thúc lúc ' || {{ vi_instant('terminal_at') }} || ' khi chưa được bổ sung.'
        else ', hồ sơ vẫn đang chờ công dân bổ sung.'
    end as detail_vi
from judged
