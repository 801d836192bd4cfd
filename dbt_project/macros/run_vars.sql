{#- The run's evaluation instant and history start as SQL literals (indices.md §0.1).

  AS_OF comes from the environment (DBT_AS_OF, set by the pipeline for every run) and is read
  only when a node executes: dbt's partial parsing records every env var read while parsing,
  and a daily-changing value read there would re-parse every model that uses it. The var
  `as_of` remains the default for a standalone `dbt build` and for the unit tests.
-#}
{% macro as_of() -%}
    cast('{{ run_as_of() }}' as {{ instant_type() }})
{%- endmacro %}

{% macro run_as_of() -%}
    {%- if execute -%}
        {{- return(env_var('DBT_AS_OF', var('as_of'))) -}}
    {%- else -%}
        {{- return(var('as_of')) -}}
    {%- endif -%}
{%- endmacro %}

{% macro history_start() -%}
    cast('{{ var("history_start") }}' as date)
{%- endmacro %}
