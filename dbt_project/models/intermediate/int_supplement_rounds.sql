-- Supplement rounds (indices.md §2): each REQUEST_SUPPLEMENT paired with the next
-- SUPPLEMENT_RECEIVED before the following request (a request with no receipt before the next
-- one stays open: the citizen never answered it).
{{ kept_by_dossier('stg_motcua__dossiers_changed') }}
with

steps as (
    select * from {{ ref('stg_motcua__dossier_steps') }}
    where action in ('REQUEST_SUPPLEMENT', 'SUPPLEMENT_RECEIVED')
      and {{ only_changed('dossier_id', 'stg_motcua__dossiers_changed') }}
),

requests as (
    select
        dossier_id,
        step_at as requested_at,
        row_number() over (partition by dossier_id order by step_at, step_seq) as round_no,
        lead(step_at) over (partition by dossier_id order by step_at, step_seq) as next_requested_at
    from steps
    where action = 'REQUEST_SUPPLEMENT'
),

receipts as (
    select dossier_id, step_at as received_at from steps where action = 'SUPPLEMENT_RECEIVED'
),

paired as (
    select
        requests.dossier_id,
        requests.round_no,
        requests.requested_at,
        min(receipts.received_at) as received_at
    from requests
    left join receipts
        on receipts.dossier_id = requests.dossier_id
        and receipts.received_at >= requests.requested_at
        and (requests.next_requested_at is null or receipts.received_at < requests.next_requested_at)
    group by requests.dossier_id, requests.round_no, requests.requested_at
),

calendar as (
    select * from {{ ref('int_calendar__working_days') }}
)

select
    paired.dossier_id,
    paired.round_no,
    paired.requested_at,
    paired.received_at,
    {{ working_minute_index('paired.requested_at', 'requested_day') }} as requested_index,
    {{ working_minute_index('paired.received_at', 'received_day') }} as received_index
from paired
inner join calendar as requested_day
    on requested_day.calendar_date = cast(paired.requested_at as date)
left join calendar as received_day
    on received_day.calendar_date = cast(paired.received_at as date)
