{#- The run's evaluation instant and history start as SQL literals (indices.md §0.1). -#}
{% macro as_of() -%}
    cast('{{ var("as_of") }}' as {{ instant_type() }})
{%- endmacro %}

{% macro history_start() -%}
    cast('{{ var("history_start") }}' as date)
{%- endmacro %}
