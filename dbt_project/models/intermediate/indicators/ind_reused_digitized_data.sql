-- REUSED_DIGITIZED_DATA (indices.md §6, tái sử dụng dữ liệu số hóa): dossiers with a file of any
-- kind reused from digitised data (reuse 1 or 2) ÷ dossiers received in the period.
with

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
)

{{ share_on_spine('REUSED_DIGITIZED_DATA', 'received', 'has_reused_file') }}
