{#-
  Scoring rules of indices.md §0.3, driven by the seed `indicator_catalog`:
  linear: points = max × r; threshold t: points = min(max, max × r / t).
  A zero denominator gives the catalog's `zero_denominator_points` (zero | max | null).
-#}
{% macro score_points(ratio, denominator, max_points, scoring_rule, threshold, zero_rule) -%}
    case
        when coalesce({{ denominator }}, 0) = 0 then
            case {{ zero_rule }}
                when 'max' then cast({{ max_points }} as double)
                when 'zero' then 0.0
            end
        when {{ scoring_rule }} = 'threshold'
            then least(cast({{ max_points }} as double), {{ max_points }} * {{ ratio }} / {{ threshold }})
        else {{ max_points }} * {{ ratio }}
    end
{%- endmacro %}

{#- Display rounding as the portal does it (observed): 2 decimals, half-up. -#}
{% macro portal_round(points) -%}
    (cast(floor({{ points }} * 100 + 0.5 + 1e-9) as double) / 100)
{%- endmacro %}

{#- r = numerator / denominator, NULL when the denominator is 0 (indices.md §0.3). -#}
{% macro safe_ratio(numerator, denominator) -%}
    case when coalesce({{ denominator }}, 0) = 0 then null
         else cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}
