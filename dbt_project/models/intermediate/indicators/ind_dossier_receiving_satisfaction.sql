-- DOSSIER_RECEIVING_SATISFACTION (indices.md §5, mức độ hài lòng tiếp nhận và giải quyết hồ sơ):
-- handled dossiers (PROGRESS_ON_TIME's population) minus those late (§2), rated DISSATISFIED,
-- or linked to a petition through MaHoSo = nationCode ÷ handled dossiers. Ratings and links
-- are known at AS_OF; lateness is the period's (cut at T).
with

handled as (
    select * from {{ ref('int_progress_on_time__dossier_periods') }}
    where period_type <> 'as_of'
),

facts as (
    select dossier_id, rating, linked_to_petition from {{ ref('int_dossiers__flagged') }}
),

handled_with_facts as (
    select
        handled.unit_code,
        handled.period_type,
        handled.period_start,
        handled.is_late,
        facts.rating,
        facts.linked_to_petition
    from handled
    left join facts on facts.dossier_id = handled.dossier_id
)

{% set satisfied -%}
    not (
        is_late
        or coalesce(rating = 'DISSATISFIED', false)
        or coalesce(linked_to_petition, false)
    )
{%- endset %}

{{ share_on_spine('DOSSIER_RECEIVING_SATISFACTION', 'handled_with_facts', satisfied) }}
