-- Feedback and petitions, PAKN (sources.md B.1 LayDanhSachPAKN): the latest landed version of
-- each petition (by NgayCapNhat). `answered_at` (NgayTraLoi) is null while unanswered.
with

source as (
    select * from {{ source('raw', 'dvcqg_petitions') }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by petition_code order by updated_at desc, _extracted_at desc, _run_id desc
    ) = 1
),

renamed as (
    select
        petition_code,
        unit_code,
        received_at,
        due_at,
        answered_at,
        status,
        petition_type,
        cast(likes as integer) as likes,
        cast(dislikes as integer) as dislikes,
        coalesce(re_complaint, false) as re_complaint,
        nullif(trim(national_code), '') as national_code,
        updated_at
    from latest
)

select * from renamed
