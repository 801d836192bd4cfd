{#- Every non-null value of the column lies in [low, high]. -#}
{% test expression_between(model, column_name, low, high) %}
select * from {{ model }}
where {{ column_name }} < {{ low }} or {{ column_name }} > {{ high }}
{% endtest %}

{#- Points never exceed the row's maximum nor fall below 0. -#}
{% test points_within_max(model, column_name) %}
select * from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > max_points + 1e-9
{% endtest %}

{#- A group score lies in [0, the group's max_points] of the seed indicator_groups; without a
    group, in [0, the sum of every group's maximum] (the total). -#}
{% test within_group_max(model, column_name, group_code=none) %}
with maximum as (
    select sum(max_points) as max_points
    from {{ ref('indicator_groups') }}
    {% if group_code is not none %}where group_code = '{{ group_code }}'{% endif %}
)
select {{ column_name }}
from {{ model }}
cross join maximum
where {{ column_name }} < 0 or {{ column_name }} > maximum.max_points + 1e-9
{% endtest %}
