{#- Formatting for the Vietnamese worklist lines (accountability_findings.detail_vi). -#}

{#- An instant as Vietnamese readers write it, local time: `14:00 ngày 05/03/2025`. -#}
{% macro vi_instant(ts) -%}
    strftime({{ ts }}, '%H:%M ngày %d/%m/%Y')
{%- endmacro %}

{#- A number of days with a decimal comma and one decimal: `1,5`. -#}
{% macro vi_days(days) -%}
    replace(printf('%.1f', {{ days }}), '.', ',')
{%- endmacro %}
