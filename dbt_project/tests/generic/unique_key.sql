{#- A grain test: no two rows share the values of `columns` (none may be null either).
  The rows are first grouped on one 64-bit hash of the key, and only the keys whose hash is
  shared are grouped on the key itself: the same verdict as grouping every row on the key, in
  about half the memory on fct_dossier_indicator (a hash table of 28 M string keys at 1 M
  dossiers filled DuckDB's 3 GB limit and spilled; benchmarks/runs/2026-12-07-scale.md). -#}
{% test unique_key(model, columns) %}
{%- set key = columns | join(', ') -%}
with

shared_hashes as (
    select hash({{ key }}) as key_hash
    from {{ model }}
    group by key_hash
    having count(*) > 1
)

select {{ key }}, count(*) as rows_with_key
from {{ model }}
where hash({{ key }}) in (select key_hash from shared_hashes)
group by {{ key }}
having count(*) > 1
union all
select {{ key }}, count(*) as rows_with_key
from {{ model }}
where {% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
group by {{ key }}
{% endtest %}
