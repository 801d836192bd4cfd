-- Records refused (warehouse.md `audit.rejects`): at the edge, with the reason and the redacted
-- payload (a record refused twice in one run, seen on two pages, is listed once, and so is one
-- refused again by a later run for the same reason and payload; records that share a key but
-- not their payload, such as one unit's entries of several evaluation groups, are each
-- listed); and by the
-- warehouse, dossiers whose unit or procedure the landed catalogues do not know (left out of
-- stg_motcua__dossiers, kept in audit.unattributed_dossiers; their payload is the codes that
-- were not found).
with

edge_by_run as (
    select
        source,
        source_key,
        _run_id as run_id,
        reason,
        payload_redacted,
        _extracted_at as rejected_at
    from {{ source('raw', 'audit_rejects') }}
    qualify row_number() over (
        partition by source, source_key, _run_id, reason, md5(coalesce(payload_redacted, ''))
        order by _extracted_at
    ) = 1
),

-- A spoiled record read again by a later run (an overlap, a re-read) is listed once: at the
-- first run that refused it for that reason and payload.
edge as (
    select *
    from edge_by_run
    qualify row_number() over (
        partition by source, source_key, reason, md5(coalesce(payload_redacted, ''))
        order by rejected_at, run_id
    ) = 1
),

unattributable as (
    select
        'motcua' as source,
        dossier_id as source_key,
        run_id,
        case
            when missing = 'UNKNOWN_PROCEDURE'
                then concat('unknown procedure.code: ', coalesce(procedure_code, '<none>'))
            else concat('unknown agency.code: ', coalesce(unit_code, '<none>'))
        end as reason,
        concat(
            'agency.code=', coalesce(unit_code, '<none>'),
            '; procedure.code=', coalesce(procedure_code, '<none>')
        ) as payload_redacted,
        landed_at as rejected_at
    from {{ ref('unattributed_dossiers') }}
)

select * from edge
union all
select * from unattributable
