{#-
  Type names that differ between the engines. An instant (a point in time, shown in the
  session's Asia/Ho_Chi_Minh zone) is DuckDB's TIMESTAMPTZ and Spark's TIMESTAMP (local time
  zone semantics). Strings are written `string` everywhere: both engines accept it.
-#}
{% macro instant_type() -%}
    {{- return(adapter.dispatch('instant_type', 'motcua_warehouse')()) -}}
{%- endmacro %}

{% macro default__instant_type() -%}
    timestamptz
{%- endmacro %}

{% macro spark__instant_type() -%}
    timestamp
{%- endmacro %}

{#-
  Contracts (models/*/_*.yml) name their types as DuckDB does. dbt checks a contract by casting
  null to each declared type and comparing the engine's answer with the model's columns; on
  Spark the DuckDB-only names are first translated to Spark's (the rest are common to both).
-#}
{% macro spark_type_name(data_type) -%}
    {%- set spark_names = {'timestamptz': 'timestamp', 'varchar': 'string'} -%}
    {{- return(spark_names.get(data_type | trim | lower, data_type)) -}}
{%- endmacro %}

{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set translated = {} -%}
    {%- for name in columns -%}
        {%- set column = columns[name].copy() -%}
        {%- if column.get('data_type') is not none -%}
            {%- do column.update({'data_type': spark_type_name(column['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: column}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(translated)) }}
{%- endmacro %}
