{#-
  Incremental daily builds (DuckDB only; Spark builds every model as a table).

  The pipeline (pipeline/build_state.py) decides before each dbt build whether it may be
  incremental and passes, through the environment, read only when a node executes:
  - DBT_PREVIOUS_AS_OF: the AS_OF of the last complete build of this build file;
  - DBT_NEW_RUNS: JSON {dataset: [run ids]} of the raw runs landed since that build.
  Otherwise it passes --full-refresh and every incremental model is rebuilt whole.

  Per-dossier models recompute the dossiers of `int_dossiers__changed` (a new latest version,
  or a national copy or petition that changed); dossier x period models recompute those and
  every dossier not terminal before the previous AS_OF (`int_dossiers__to_refresh`): a row of
  a dossier terminal (and received) before the previous AS_OF is the same at any later AS_OF
  but for `evaluated_at` of the periods still open then, which `refresh_evaluated_at` updates.
  The accountability models recompute those of `int_findings__to_refresh`: the same, plus the
  dossiers whose finding may start or stop applying only because time passed (a step, a due or
  a grace period falling between the two AS_OFs).
-#}

{% macro dossier_materialization() -%}
    {{- return('table' if target.type == 'spark' else 'incremental') -}}
{%- endmacro %}

{% macro kept_by_dossier(key_model, post_hook=none, on_schema_change='ignore', keep_written_rows=false) -%}
    {#- The config of a model kept by dossier: in an incremental build the rows of the dossiers
      in `key_model` are deleted, then recomputed and appended; `post_hook` moves what the kept
      rows carry of the run (`refresh_evaluated_at`). The run's AS_OF itself is never stored in
      kept rows: a view adds it (marts.fct_dossier over int_dossiers__facts).
      `keep_written_rows`: the rows an incremental build appends are also kept, until the
      model's next write, in a side table its data tests read (`written_rows` below); not with
      a post-hook changing kept rows, whose tests must then read them too. -#}
    {%- if keep_written_rows and post_hook -%}
        {{ exceptions.raise_compiler_error('a model whose post-hook changes kept rows cannot keep its written rows alone for its tests') }}
    {%- endif -%}
    {{- config(
        materialized=dossier_materialization(),
        incremental_strategy='append_keeping_written_rows' if keep_written_rows else 'append',
        on_schema_change=on_schema_change,
        pre_hook="{{ delete_dossiers('" ~ key_model ~ "', " ~ keep_written_rows ~ ") }}",
        post_hook=[post_hook] if post_hook else [],
        meta={'kept_by_dossier': key_model},
    ) -}}
    {#- The key model is read by the hook only: referenced here so that dbt builds it first. #}
-- depends_on: {{ ref(key_model) }}
{%- endmacro %}

{% macro new_runs(dataset) -%}
    {#- The raw runs of `dataset` landed since the previous build, as a SQL list. -#}
    {%- set runs = [] -%}
    {%- if execute -%}
        {%- set runs = fromjson(env_var('DBT_NEW_RUNS', '{}')).get(dataset, []) -%}
    {%- endif -%}
    {%- if runs | length == 0 -%}
        (select cast(null as varchar) where false)
    {%- else -%}
        ({%- for run in runs -%}'{{ run | replace("'", "''") }}'{{ ', ' if not loop.last }}{%- endfor -%})
    {%- endif -%}
{%- endmacro %}

{% macro previous_as_of() -%}
    {%- set previous = env_var('DBT_PREVIOUS_AS_OF', '') if execute else '' -%}
    {%- if previous == '' -%}
        {{ exceptions.raise_compiler_error('an incremental build needs DBT_PREVIOUS_AS_OF') if execute and is_incremental() }}
        cast(null as {{ instant_type() }})
    {%- else -%}
        cast('{{ previous }}' as {{ instant_type() }})
    {%- endif -%}
{%- endmacro %}

{% macro recomputes_subset() -%}
    {#- Whether this model recomputes only some dossiers into its existing table. -#}
    {{- return(incremental_build() and this is not none and is_incremental()) -}}
{%- endmacro %}

{% macro delete_dossiers(key_model, keeps_written_rows=false) -%}
    {#- Pre-hook: drop the rows of the dossiers this build recomputes. An existing table built
      without the pipeline's incremental environment (a hand-run `dbt build`) is emptied and
      filled whole again. A model that keeps its written rows loses them in a full build (the
      table is written whole: its tests read it whole). -#}
    {%- if recomputes_subset() -%}
        delete from {{ this }} where dossier_id in (select dossier_id from {{ ref(key_model) }})
    {%- elif is_incremental() -%}
        delete from {{ this }}
    {%- elif keeps_written_rows and target.type != 'spark' -%}
        drop table if exists {{ written_rows_relation(this) }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_where(condition) -%}
    {#- Pre-hook: drop the rows matching `condition`, which this build takes whole again (rows an
      incremental model reads from a full table). A full refresh empties it (delete_dossiers). -#}
    {%- if recomputes_subset() -%}
        delete from {{ this }} where {{ condition }}
    {%- endif -%}
{%- endmacro %}

{% macro refresh_evaluated_at() -%}
    {#- Post-hook: the kept rows of periods evaluated at the previous AS_OF move to this one. -#}
    {%- if recomputes_subset() -%}
        update {{ this }} as kept
        set evaluated_at = periods.evaluated_at
        from {{ ref('int_periods') }} as periods
        where periods.period_type = kept.period_type
          and periods.period_start = kept.period_start
          and periods.evaluated_at <> kept.evaluated_at
    {%- endif -%}
{%- endmacro %}

{% macro incremental_build() -%}
    {#- Whether this dbt invocation refreshes the incremental models incrementally. -#}
    {{- return(
        execute and target.type != 'spark' and not flags.FULL_REFRESH
        and env_var('DBT_PREVIOUS_AS_OF', '') != ''
    ) -}}
{%- endmacro %}

{% macro only_changed(column, key_model) -%}
    {#- A filter keeping, in an incremental build, the dossiers this build recomputes (those of
      `key_model`; none: every dossier). -#}
    {%- if key_model is not none and recomputes_subset() -%}
        {{ column }} in (select dossier_id from {{ ref(key_model) }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Data tests of the models kept by dossier. In an incremental build a test configured with
  `where: "__written_rows__"` (or a singular test reading `written_rows(ref(...))`) reads only
  the rows this build wrote into the model: the side table `written_rows.<schema>__<model>`
  its write keeps (`keep_written_rows` of kept_by_dossier; strategy
  `append_keeping_written_rows`), the very rows appended; the schema is not published
  (pipeline/publish.py PUBLIC_SCHEMAS). Every other row of the table was kept as it was when an
  earlier build wrote and tested it. A full build (and `make test`, whose builds are full but for
  the incremental-build tests) tests the whole table, and drops the side table.

  Exact, for the tests allowed to use it: (1) the side table is replaced by each incremental
  write in the same transaction as the delete and the append, and dropped by each full one: when
  it exists it holds the rows the model's last write appended, and the table has not been
  written since; (2) the kept rows are unchanged since they passed, so only tests whose verdict
  on a row depends on that row alone (a value test), on the rows sharing its key where a key
  holds the dossier (a key test: the pre-hook deleted every row of the dossiers appended again,
  so a day's row can only collide with another day's row), or on a parent kept by the same
  dossiers (a relationship to fct_dossier: a kept row's dossier was not recomputed, so its parent
  row was kept too) may read it; (3) a model with a post-hook changing kept rows
  (`refresh_evaluated_at`) keeps no written rows. A test comparing aggregates over the whole
  table (sums to fct_indicator, reconciliation with the raw zone) or a key across dossiers
  (fct_dossier.dossier_code) reads the whole table.
  When the side table does not exist in an incremental build (the model kept none, or was
  skipped after a full build), the test reads the rows of the dossiers the model's key model
  lists instead: exact too, but a semi-join on every row of the table
  (benchmarks/runs/2026-12-07-daily-dbt.md). The placeholder is replaced when the test runs: a
  test's `where` is rendered when the project is parsed, before anyone knows whether the build
  is incremental. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set source = relation -%}
        {%- if '__written_rows__' in where -%}
            {%- set source = written_rows(relation) -%}
            {%- set where = where | replace('__written_rows__', 'true') -%}
        {%- endif -%}
        {%- do return('(select * from ' ~ source ~ ' where ' ~ where ~ ') as dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{% macro written_rows_relation(relation) -%}
    {#- The side table keeping the rows the last incremental write appended to `relation`. -#}
    {%- do return(api.Relation.create(
        database=relation.database, schema='written_rows',
        identifier=relation.schema ~ '__' ~ relation.identifier)) -%}
{%- endmacro %}

{% macro written_rows(relation) -%}
    {#- What a data test of the model kept by dossier `relation` reads (see above): in an
      incremental build the rows this build wrote, else the whole table. -#}
    {%- if not incremental_build() -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- set model = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('schema', 'equalto', relation.schema)
        | selectattr('alias', 'equalto', relation.identifier) | first -%}
    {%- set key_model = model.config.meta.get('kept_by_dossier') if model else none -%}
    {%- if not key_model -%}
        {{ exceptions.raise_compiler_error(relation ~ ' is not kept by dossier: its tests cannot read the rows a build wrote') }}
    {%- endif -%}
    {%- set written = written_rows_relation(relation) -%}
    {%- if adapter.get_relation(
        database=written.database, schema=written.schema, identifier=written.identifier) -%}
        {%- do return(written) -%}
    {%- endif -%}
    {%- set key = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', key_model) | first -%}
    {%- set keys = api.Relation.create(database=key.database, schema=key.schema, identifier=key.alias) -%}
    {%- do return('(select * from ' ~ relation ~ ' where dossier_id in (select dossier_id from '
        ~ keys ~ '))') -%}
{%- endmacro %}

{% macro get_incremental_append_keeping_written_rows_sql(arg_dict) -%}
    {#- The append strategy of a model keeping its written rows: the rows appended are first
      written to the side table (replacing the previous build's), then appended from it. -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set written = written_rows_relation(target) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    create schema if not exists {{ written.without_identifier() }};
    create or replace table {{ written }} as
        select {{ columns }} from {{ arg_dict['temp_relation'] }};
    insert into {{ target }} ({{ columns }})
        select {{ columns }} from {{ written }}
{%- endmacro %}
