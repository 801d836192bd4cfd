-- SO_HOA_GIAY_TO_GIAI_QUYET (indices.md §6, số hóa hồ sơ và kết quả giải quyết): dossiers with a
-- digitised COMPONENT file and, when the procedure's result is a document and the dossier
-- finished (status 9, else 10) before T, a RESULT file ÷ dossiers received in the period.
with

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
)

{% set qualifying -%}
    has_digitized_component
    and (not (result_is_document and finished_before_evaluation) or has_result_file)
{%- endset %}

{{ share_on_spine('SO_HOA_GIAY_TO_GIAI_QUYET', 'received', qualifying) }}
