-- PLACEHOLDER (issue 5, indicators): typed and empty until the national-portal connector's
-- staging model replaces this file. One row per petition (PAKN, sources.md B.1).
select
    cast(null as varchar) as petition_code,
    cast(null as varchar) as unit_code,
    cast(null as timestamptz) as received_at,
    cast(null as timestamptz) as due_at,
    cast(null as timestamptz) as answered_at,
    cast(null as varchar) as status,
    cast(null as varchar) as petition_type,
    cast(null as integer) as likes,
    cast(null as integer) as dislikes,
    cast(null as boolean) as re_complaint,
    cast(null as varchar) as national_code,
    cast(null as timestamptz) as updated_at
where false
