{#
  Which catalogue a one-stop dossier is missing from (issue 16): null when the landed agency
  tree knows its unit (`agency.code`) and the procedure catalogue its procedure
  (`procedure.code`); else UNKNOWN_UNIT, UNKNOWN_PROCEDURE or UNKNOWN_UNIT_AND_PROCEDURE. The
  one rule that keeps a dossier out of stg_motcua__dossiers (and so of every mart) and in
  audit.unattributed_dossiers: a dossier is in exactly one of the two.
#}
{% macro missing_catalogue(unit_code, procedure_code) %}
    case
        when {{ unit_code }} in (select unit_code from {{ ref('stg_motcua__agencies') }})
            and {{ procedure_code }} in (
                select procedure_code from {{ ref('stg_motcua__procedures') }}
            )
            then null
        when {{ unit_code }} in (select unit_code from {{ ref('stg_motcua__agencies') }})
            then 'UNKNOWN_PROCEDURE'
        when {{ procedure_code }} in (
            select procedure_code from {{ ref('stg_motcua__procedures') }}
        )
            then 'UNKNOWN_UNIT'
        else 'UNKNOWN_UNIT_AND_PROCEDURE'
    end
{% endmacro %}
