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

{#- The watchlist's horizon (marts.dossier_watchlist, DUE_SOON): a dossier due within this many
  working days is listed. WATCH_WORKING_DAYS in the environment, else the var
  `watch_working_days` (default 2); read when a node executes, like AS_OF. The only reader of
  the setting: unit_points_at_stake reads the watchlist. -#}
{% macro watch_working_days() -%}
    {%- set days = env_var('WATCH_WORKING_DAYS', '') if execute else '' -%}
    {%- if days == '' -%}{%- set days = var('watch_working_days', 2) -%}{%- endif -%}
    {%- if not (days | string | trim).isdigit() -%}
        {{ exceptions.raise_compiler_error('WATCH_WORKING_DAYS must be a whole number of working days, got ' ~ days) }}
    {%- endif -%}
    {{- return(days | int) -}}
{%- endmacro %}
