-- CITIZEN_DATA_CONNECTED_DOSSIER (indices.md §6, hồ sơ khai thác dữ liệu dân cư): dossiers whose
-- applicant logged in with VNeID or that queried the population database (CSDLQG_DAN_CU)
-- ÷ dossiers received in the period.
with

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
)

{{ share_on_spine('CITIZEN_DATA_CONNECTED_DOSSIER', 'received', 'uses_citizen_data') }}
