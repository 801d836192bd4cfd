-- PLACEHOLDER (issue 5, indicators): typed and empty until the national-portal connector's
-- staging model replaces this file. One row per national copy (DongBoHoSoMC, sources.md B.1).
select
    cast(null as varchar) as national_code,
    cast(null as varchar) as unit_code,
    cast(null as varchar) as procedure_code,
    cast(null as integer) as channel,
    cast(null as timestamptz) as received_at,
    cast(null as timestamptz) as due_at,
    cast(null as timestamptz) as finished_at,
    cast(null as timestamptz) as returned_at,
    cast(null as integer) as national_status,
    cast(null as timestamptz) as synced_at,
    cast(null as integer) as fee_line_count,
    cast(null as integer) as online_payment_kind,
    cast(null as boolean) as has_digitized_component
where false
