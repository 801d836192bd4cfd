{#-
  Lists (arrays) of the raw records: `fees`, `files`, `history`, `connected_databases`…
  DuckDB writes list comprehensions and list_* functions; Spark higher-order functions.
-#}

{#- True when `predicate` (over `element`) holds for some element of `list`; false for an
    empty or null list, and where the predicate is only false or null. -#}
{% macro any_element(list, element, predicate) -%}
    {{- return(adapter.dispatch('any_element', 'motcua_warehouse')(list, element, predicate)) -}}
{%- endmacro %}

{% macro default__any_element(list, element, predicate) -%}
    coalesce(list_bool_or([{{ predicate }} for {{ element }} in {{ list }}]), false)
{%- endmacro %}

{% macro spark__any_element(list, element, predicate) -%}
    coalesce(exists({{ list }}, {{ element }} -> {{ predicate }}), false)
{%- endmacro %}

{#- Whether `list` contains `value` (null for a null list). -#}
{% macro list_has(list, value) -%}
    {{- return(adapter.dispatch('list_has', 'motcua_warehouse')(list, value)) -}}
{%- endmacro %}

{% macro default__list_has(list, value) -%}
    list_contains({{ list }}, {{ value }})
{%- endmacro %}

{% macro spark__list_has(list, value) -%}
    array_contains({{ list }}, {{ value }})
{%- endmacro %}

{#- Number of elements (null for a null list). -#}
{% macro list_length(list) -%}
    {{- return(adapter.dispatch('list_length', 'motcua_warehouse')(list)) -}}
{%- endmacro %}

{% macro default__list_length(list) -%}
    len({{ list }})
{%- endmacro %}

{% macro spark__list_length(list) -%}
    array_size({{ list }})
{%- endmacro %}

{#- One output row per element of `list` (in a select list; rows with an empty or null list
    yield none). -#}
{% macro unnest_list(list) -%}
    {{- return(adapter.dispatch('unnest_list', 'motcua_warehouse')(list)) -}}
{%- endmacro %}

{% macro default__unnest_list(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro spark__unnest_list(list) -%}
    explode({{ list }})
{%- endmacro %}

{#- The element of a list at a 1-based position (null when the list is null). -#}
{% macro list_item(list, position) -%}
    {{- return(adapter.dispatch('list_item', 'motcua_warehouse')(list, position)) -}}
{%- endmacro %}

{% macro default__list_item(list, position) -%}
    {{ list }}[{{ position }}]
{%- endmacro %}

{% macro spark__list_item(list, position) -%}
    element_at({{ list }}, {{ position }})
{%- endmacro %}
