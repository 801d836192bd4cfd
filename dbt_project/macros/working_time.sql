{#-
  Working-time arithmetic of indices.md §0.4, over `int_calendar__working_days`
  (columns working_day_ordinal = working days strictly before the date, is_working_day).
  A point in time maps to a working-minute index: office minutes elapsed since the calendar's
  first opening; instants outside office hours map to the next opening (normalised
  reception). The same arithmetic exists in Python (`pipeline/workcal.py`); tests compare them.
-#}

{#- Local minutes since midnight of `ts`, whole seconds included (a double). -#}
{% macro local_minute_of_day(ts) -%}
    {{- return(adapter.dispatch('local_minute_of_day', 'motcua_warehouse')(ts)) -}}
{%- endmacro %}

{% macro default__local_minute_of_day(ts) -%}
    (extract(hour from {{ ts }}) * 60 + extract(minute from {{ ts }}) + extract(second from {{ ts }}) / 60.0)
{%- endmacro %}

{#- Integer division by 60 yields a double on Spark too (a decimal literal would not). -#}
{% macro spark__local_minute_of_day(ts) -%}
    (hour({{ ts }}) * 60 + minute({{ ts }}) + second({{ ts }}) / 60)
{%- endmacro %}

{#- Office minutes elapsed on the local date of `ts` at `ts` (0 to 480). -#}
{% macro office_minutes_elapsed(ts) -%}
    (least(greatest({{ local_minute_of_day(ts) }} - 420, 0), 270)
     + least(greatest({{ local_minute_of_day(ts) }} - 810, 0), 210))
{%- endmacro %}

{#- Working-minute index of `ts`, given the calendar row `cal` of its local date. -#}
{% macro working_minute_index(ts, cal) -%}
    ({{ cal }}.working_day_ordinal * 480
     + case when {{ cal }}.is_working_day then {{ office_minutes_elapsed(ts) }} else 0 end)
{%- endmacro %}

{#- The instant `minute` office minutes (0 to 480) into the local working date `day`. -#}
{% macro instant_in_office_day(day, minute) -%}
    {{ add_microseconds(
        'cast(' ~ day ~ ' as ' ~ instant_type() ~ ')',
        'cast(round((420 + ' ~ minute ~ ' + case when ' ~ minute ~ ' > 270 then 120 else 0 end)'
            ~ ' * 60000000.0) as bigint)'
    ) }}
{%- endmacro %}

{#- Ordinal of the working day on which a due index ends (a boundary is that day's close). -#}
{% macro due_day_ordinal(index) -%}
    (cast(ceil({{ index }} / 480.0) as bigint) - 1)
{%- endmacro %}
