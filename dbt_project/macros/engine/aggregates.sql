{#-
  Aggregates named differently by the engines.
  arg_max / arg_min: the value of `arg` on the row with the largest / smallest `ordering`,
  skipping rows where either is null (DuckDB's semantics; Spark's max_by keeps null args).
-#}
{% macro arg_max_of(arg, ordering) -%}
    {{- return(adapter.dispatch('arg_max_of', 'motcua_warehouse')(arg, ordering)) -}}
{%- endmacro %}

{% macro default__arg_max_of(arg, ordering) -%}
    arg_max({{ arg }}, {{ ordering }})
{%- endmacro %}

{% macro spark__arg_max_of(arg, ordering) -%}
    max_by({{ arg }}, case when ({{ arg }}) is not null then {{ ordering }} end)
{%- endmacro %}

{% macro arg_min_of(arg, ordering) -%}
    {{- return(adapter.dispatch('arg_min_of', 'motcua_warehouse')(arg, ordering)) -}}
{%- endmacro %}

{% macro default__arg_min_of(arg, ordering) -%}
    arg_min({{ arg }}, {{ ordering }})
{%- endmacro %}

{% macro spark__arg_min_of(arg, ordering) -%}
    min_by({{ arg }}, case when ({{ arg }}) is not null then {{ ordering }} end)
{%- endmacro %}

{#- Interpolated quantile (`fraction` in 0..1) of a numeric expression. -#}
{% macro continuous_quantile(expression, fraction) -%}
    {{- return(adapter.dispatch('continuous_quantile', 'motcua_warehouse')(expression, fraction)) -}}
{%- endmacro %}

{% macro default__continuous_quantile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__continuous_quantile(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{#- Interpolated quantiles (each fraction in 0..1) of a numeric expression, as one list in the
    order of `fractions`: one aggregate state holds the values once for all of them (a quantile
    keeps every value of its group in memory the engine cannot spill). Read with list_item. -#}
{% macro continuous_quantiles(expression, fractions) -%}
    {{- return(adapter.dispatch('continuous_quantiles', 'motcua_warehouse')(expression, fractions)) -}}
{%- endmacro %}

{% macro default__continuous_quantiles(expression, fractions) -%}
    quantile_cont({{ expression }}, [{{ fractions | join(', ') }}])
{%- endmacro %}

{% macro spark__continuous_quantiles(expression, fractions) -%}
    percentile({{ expression }}, array({{ fractions | join(', ') }}))
{%- endmacro %}
