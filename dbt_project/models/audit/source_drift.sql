-- What the portals send differently from the spec (issue 16), per landing run, asset, field
-- and kind: `unknown_key` (a key the spec does not announce), `shape_changed` (a field no rule
-- reads arrived in another shape: it landed empty, its original kept redacted in extra_json),
-- `outside_domain` (a field a rule reads was wrong: the record is in audit.rejects). With the
-- run that first showed each (field, kind) of an asset, so a new portal release stands out.
with

drift as (
    select
        run_id,
        source,
        asset,
        field,
        kind,
        records,
        records_read,
        landed_at
    from {{ source('raw', 'audit_drift') }}
),

first_seen as (
    select
        asset,
        field,
        kind,
        {{ arg_min_of('run_id', 'landed_at') }} as first_seen_run_id,
        min(landed_at) as first_seen_at
    from drift
    group by asset, field, kind
)

select
    drift.run_id,
    drift.source,
    drift.asset,
    drift.field,
    drift.kind,
    cast(drift.records as bigint) as records,
    cast(drift.records_read as bigint) as records_read,
    drift.landed_at,
    first_seen.first_seen_run_id,
    first_seen.first_seen_at,
    drift.run_id = first_seen.first_seen_run_id as is_new
from drift
inner join first_seen
    on first_seen.asset = drift.asset
    and first_seen.field = drift.field
    and first_seen.kind = drift.kind
