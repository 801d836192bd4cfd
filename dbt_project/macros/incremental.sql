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

{% macro kept_by_dossier(key_model, post_hook=none, on_schema_change='ignore') -%}
    {#- The config of a model kept by dossier: in an incremental build the rows of the dossiers
      in `key_model` are deleted, then recomputed and appended; `post_hook` moves what the kept
      rows carry of the run (`refresh_evaluated_at`). The run's AS_OF itself is never stored in
      kept rows: a view adds it (marts.fct_dossier over int_dossiers__facts). -#}
    {{- config(
        materialized=dossier_materialization(),
        incremental_strategy='append',
        on_schema_change=on_schema_change,
        pre_hook="{{ delete_dossiers('" ~ key_model ~ "') }}",
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

{% macro delete_dossiers(key_model) -%}
    {#- Pre-hook: drop the rows of the dossiers this build recomputes. An existing table built
      without the pipeline's incremental environment (a hand-run `dbt build`) is emptied and
      filled whole again. -#}
    {%- if recomputes_subset() -%}
        delete from {{ this }} where dossier_id in (select dossier_id from {{ ref(key_model) }})
    {%- elif is_incremental() -%}
        delete from {{ this }}
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
    {#- A filter keeping, in an incremental build, the dossiers this build recomputes. -#}
    {%- if recomputes_subset() -%}
        {{ column }} in (select dossier_id from {{ ref(key_model) }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Data tests of the models kept by dossier. In an incremental build a test configured with
  `where: "__recomputed_dossiers__"` reads only the rows of the dossiers this build recomputed
  (`int_dossiers__to_refresh`, the key model of every model whose tests use it): the kept rows
  passed the same test when they were written and have not changed since. A full build (and
  `make test`, whose builds are full but for the incremental-build test) tests the whole table.
  The placeholder is replaced here, when the test runs: a test's `where` is rendered when the
  project is parsed, before anyone knows whether the build is incremental. Only tests whose
  verdict on a row depends on that row's dossier alone may use it (a key that includes the
  dossier, a relationship to another model kept by the same dossiers); a key across dossiers
  (fct_dossier.dossier_code unique) or a relationship to a model rebuilt whole every day is
  tested whole. It pays where the test groups or joins the whole table; a test that only scans
  rows is cheaper whole than behind the filter (a semi-join on every row). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace('__recomputed_dossiers__', recomputed_dossiers()) -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') as dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{% macro recomputed_dossiers(column='dossier_id') -%}
    {#- A filter keeping the dossiers an incremental build recomputed (all in a full build). The
      key model is found in the graph, not through ref(): a test's dependencies are fixed when
      the project is parsed, and `int_dossiers__to_refresh` is upstream of every model tested. -#}
    {%- if incremental_build() -%}
        {%- set key = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
            | selectattr('name', 'equalto', 'int_dossiers__to_refresh') | first -%}
        {%- set relation = api.Relation.create(
            database=key.database, schema=key.schema, identifier=key.alias) -%}
        {{- column }} in (select dossier_id from {{ relation }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
