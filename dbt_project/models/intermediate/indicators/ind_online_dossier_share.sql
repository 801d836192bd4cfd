-- ONLINE_DOSSIER_SHARE (indices.md §3 C, tỷ lệ hồ sơ trực tuyến): dossiers received online
-- (channel 2) that, when the procedure's result is a document, have an electronic result (a
-- RESULT file with a URL and a result code; files are known at AS_OF) ÷ dossiers received in
-- the period. An online dossier whose document result does not exist yet does not count.
with

received as (
    select * from {{ ref('int_dossiers__received_in_periods') }}
)

{{ share_on_spine(
    'ONLINE_DOSSIER_SHARE', 'received', 'channel = 2 and (not result_is_document or has_e_result)'
) }}
