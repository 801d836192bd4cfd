{#-
  Instants and dates. Both engines evaluate instants in the session time zone
  (Asia/Ho_Chi_Minh: DuckDB `TimeZone`, Spark `spark.sql.session.timeZone`, profiles.yml), so
  casting an instant to a date or a date to an instant means the local calendar day.
-#}

{#- Seconds since 1970-01-01 UTC, as a double (fractions of a second kept). -#}
{% macro epoch_seconds(ts) -%}
    {{- return(adapter.dispatch('epoch_seconds', 'motcua_warehouse')(ts)) -}}
{%- endmacro %}

{% macro default__epoch_seconds(ts) -%}
    epoch({{ ts }})
{%- endmacro %}

{% macro spark__epoch_seconds(ts) -%}
    (cast(unix_micros({{ ts }}) as double) / 1000000)
{%- endmacro %}

{#- The instant `microseconds` (a bigint, may be negative) after `ts`. -#}
{% macro add_microseconds(ts, microseconds) -%}
    {{- return(adapter.dispatch('add_microseconds', 'motcua_warehouse')(ts, microseconds)) -}}
{%- endmacro %}

{% macro default__add_microseconds(ts, microseconds) -%}
    ({{ ts }} + to_microseconds({{ microseconds }}))
{%- endmacro %}

{% macro spark__add_microseconds(ts, microseconds) -%}
    timestamp_micros(unix_micros({{ ts }}) + {{ microseconds }})
{%- endmacro %}

{#- The instant `months` (an integer) calendar months after `ts`, in local time (the day of
    month clamped to the month's end). -#}
{% macro add_months_to_instant(ts, months) -%}
    {{- return(adapter.dispatch('add_months_to_instant', 'motcua_warehouse')(ts, months)) -}}
{%- endmacro %}

{% macro default__add_months_to_instant(ts, months) -%}
    ({{ ts }} + to_months({{ months }}))
{%- endmacro %}

{% macro spark__add_months_to_instant(ts, months) -%}
    ({{ ts }} + make_ym_interval(0, {{ months }}))
{%- endmacro %}

{#- Local wall-clock time of an instant as `HH:MM:SS` text. -#}
{% macro local_time_text(ts) -%}
    {{- return(adapter.dispatch('local_time_text', 'motcua_warehouse')(ts)) -}}
{%- endmacro %}

{% macro default__local_time_text(ts) -%}
    strftime({{ ts }}, '%H:%M:%S')
{%- endmacro %}

{% macro spark__local_time_text(ts) -%}
    date_format({{ ts }}, 'HH:mm:ss')
{%- endmacro %}

{#- Microseconds from instant `start_ts` to instant `end_ts` (a bigint). -#}
{% macro microseconds_between(start_ts, end_ts) -%}
    {{- return(adapter.dispatch('microseconds_between', 'motcua_warehouse')(start_ts, end_ts)) -}}
{%- endmacro %}

{% macro default__microseconds_between(start_ts, end_ts) -%}
    date_diff('microsecond', {{ start_ts }}, {{ end_ts }})
{%- endmacro %}

{% macro spark__microseconds_between(start_ts, end_ts) -%}
    (unix_micros({{ end_ts }}) - unix_micros({{ start_ts }}))
{%- endmacro %}
