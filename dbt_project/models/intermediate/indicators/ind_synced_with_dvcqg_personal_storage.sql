-- SYNCED_WITH_DVCQG_PERSONAL_STORAGE (indices.md §6, kho quản lý dữ liệu điện tử cá nhân): dossiers
-- with a file taken from the citizen's store or a RESULT file pushed to it ÷ dossiers received
-- in the period.
with

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
)

{{ share_on_spine('SYNCED_WITH_DVCQG_PERSONAL_STORAGE', 'received', 'uses_citizen_store') }}
