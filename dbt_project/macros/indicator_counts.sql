{#-
    The plumbing shared by the `ind_*` models (models/intermediate/indicators). Each model keeps
    its own rule (which rows, which condition qualifies them); these macros do the counting, the
    roll-up through `int_unit_rollups` and the spine of `int_unit_periods`, so that every
    indicator returns the same columns for every (rollup, unit_code, period_type, period_start).
    The macros return a bare select, to be wrapped in a CTE (or to end the model).
-#}

{#-
    count_qualifying(relation, qualifying, grain)

    One row per key of `relation`: `numerator` = rows where `qualifying` (a SQL boolean
    expression over the relation's columns) holds, `denominator` = all rows. `grain` 'unit'
    (default) keys by unit_code, period_type, period_start, for `roll_up_counts` to roll up;
    'rollup' keys by rollup, unit_code, period_type, period_start, for a relation already at the
    roll-up grain (the procedure-share indicators), ready for `counts_on_spine`.
-#}
{% macro count_qualifying(relation, qualifying, grain='unit') -%}
    {%- set keys = ['unit_code', 'period_type', 'period_start'] -%}
    {%- if grain == 'rollup' -%}
        {%- set keys = ['rollup'] + keys -%}
    {%- elif grain != 'unit' -%}
        {{ exceptions.raise_compiler_error("count_qualifying: grain is 'unit' or 'rollup'") }}
    {%- endif %}
    select
        {{ keys | join(', ') }},
        count(case when {{ qualifying }} then 1 end) as numerator,
        count(*) as denominator
    from {{ relation }}
    group by {{ keys | join(', ') }}
{%- endmacro %}

{#-
    roll_up_counts(relation, numerator, denominator)

    Rolls per-unit rows of `relation` (unit_code, period_type, period_start and counts) up to
    every roll-up row (SELF, SUBTREE, ...) whose members include the unit, through
    `int_unit_rollups`. `numerator` and `denominator` are aggregate expressions over the
    relation's columns; by default the sums of its `numerator` and `denominator` columns (as
    `count_qualifying` names them). Returns rollup, unit_code, period_type, period_start,
    numerator, denominator; roll-up rows without any member row are absent (see
    `counts_on_spine`).
-#}
{% macro roll_up_counts(relation, numerator='sum(numerator)', denominator='sum(denominator)') -%}
    select
        rollups.rollup,
        rollups.unit_code,
        per_unit.period_type,
        per_unit.period_start,
        {{ numerator }} as numerator,
        {{ denominator }} as denominator
    from {{ relation }} as per_unit
    inner join {{ ref('int_unit_rollups') }} as rollups
        on rollups.member_unit_code = per_unit.unit_code
    group by rollups.rollup, rollups.unit_code, per_unit.period_type, per_unit.period_start
{%- endmacro %}

{#-
    counts_on_spine(indicator_code, counted)

    The model's final select: every row of the spine `int_unit_periods` with `indicator_code`
    and the numerator and denominator of `counted` (a relation at the roll-up grain, as
    `roll_up_counts` returns), 0 / 0 where nothing was counted.
-#}
{% macro counts_on_spine(indicator_code, counted='counted') -%}
    select
        spine.rollup,
        spine.unit_code,
        spine.period_type,
        spine.period_start,
        '{{ indicator_code }}' as indicator_code,
        coalesce(counted.numerator, 0) as numerator,
        coalesce(counted.denominator, 0) as denominator
    from {{ ref('int_unit_periods') }} as spine
    left join {{ counted }} as counted
        on counted.rollup = spine.rollup
        and counted.unit_code = spine.unit_code
        and counted.period_type = spine.period_type
        and counted.period_start = spine.period_start
{%- endmacro %}

{#-
    official_indicator(indicator_code)

    An indicator copied from the national evaluation API (official, indices.md §1): the rows of
    `int_evaluation_metrics__assigned` for `indicator_code`, which assigns the portal's entries
    to spine rows (own unit, else the root) and carries ratio, points and flag.
-#}
{% macro official_indicator(indicator_code) -%}
    select
        rollup, unit_code, period_type, period_start, indicator_code,
        numerator, denominator, ratio, points, flag
    from {{ ref('int_evaluation_metrics__assigned') }}
    where indicator_code = '{{ indicator_code }}'
{%- endmacro %}

{#-
    share_on_spine(indicator_code, relation, qualifying, grain)

    The whole count of a share indicator whose numerator is the rows of `relation` where
    `qualifying` holds and whose denominator is all its rows: `count_qualifying` at `grain`,
    rolled up by `roll_up_counts` when the grain is 'unit', and put on the spine by
    `counts_on_spine`. The model's final select; the model says which rows and which condition.
-#}
{% macro share_on_spine(indicator_code, relation, qualifying, grain='unit') -%}
    {%- set counted = count_qualifying(relation, qualifying, grain) -%}
    {%- if grain == 'unit' -%}
        {%- set counted = roll_up_counts('(' ~ counted ~ ')') -%}
    {%- endif -%}
    {{ counts_on_spine(indicator_code, '(' ~ counted ~ ')') }}
{%- endmacro %}
