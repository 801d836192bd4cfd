{#-
  The raw zone read in place. DuckDB resolves a source through its `meta.external_location`
  (read_parquet over the Hive-partitioned files, dbt-duckdb); Spark reads the same folder as
  a path-based Parquet relation (`parquet.`<dir>``), discovering the Hive partitions and
  merging file schemas by name (spark.sql.parquet.mergeSchema, profiles.yml).
-#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {{- return(adapter.dispatch('raw_source_relation', 'motcua_warehouse')(relation)) -}}
{%- endmacro %}

{% macro default__raw_source_relation(relation) -%}
    {{- return(relation) -}}
{%- endmacro %}

{% macro spark__raw_source_relation(relation) -%}
    {{- return('parquet.`' ~ env_var('RAW_DIR', '../data/raw') ~ '/' ~ relation.identifier ~ '`') -}}
{%- endmacro %}
