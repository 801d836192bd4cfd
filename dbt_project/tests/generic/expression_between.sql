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
