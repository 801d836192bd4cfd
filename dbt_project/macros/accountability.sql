{#- Formatting for the Vietnamese worklist lines (accountability_findings.detail_vi). -#}

{#- An instant as Vietnamese readers write it, local time: `14:00 ngày 05/03/2025`. -#}
{% macro vi_instant(ts) -%}
    {{- return(adapter.dispatch('vi_instant', 'motcua_warehouse')(ts)) -}}
{%- endmacro %}

{% macro default__vi_instant(ts) -%}
    strftime({{ ts }}, '%H:%M ngày %d/%m/%Y')
{%- endmacro %}

{% macro spark__vi_instant(ts) -%}
    date_format({{ ts }}, 'HH:mm \'ngày\' dd/MM/yyyy')
{%- endmacro %}

{#- A number of days with a decimal comma and one decimal, halves rounded up: `1,5`. The
    rounding is done before formatting, so that both engines print the same digit (C's printf
    and Java's formatter round exact halves differently). -#}
{% macro vi_days(days) -%}
    {{- return(adapter.dispatch('vi_days', 'motcua_warehouse')(days)) -}}
{%- endmacro %}

{% macro default__vi_days(days) -%}
    replace(printf('%.1f', floor({{ days }} * 10 + 0.5) / 10), '.', ',')
{%- endmacro %}

{% macro spark__vi_days(days) -%}
    replace(format_string('%.1f', floor({{ days }} * 10 + 0.5) / 10), '.', ',')
{%- endmacro %}
