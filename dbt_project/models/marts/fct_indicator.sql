-- Every indicator per unit, roll-up and period (warehouse.md, indices.md §0.3): counters from
-- the `ind_*` models, scoring rules and maxima from the seed `indicator_catalog`. Official
-- indicators (§1) arrive with the portal's ratio, points and flag and are not rescored.
{%- set computed_indicators = [
    'ind_dossier_sync',
    'ind_progress_on_time',
    'ind_online_tthc_provided',
    'ind_online_service_with_dossiers',
    'ind_online_dossier_share',
    'ind_payment_dossier_online',
    'ind_payment_tthc_with_online_payment',
    'ind_payment_tthc_integrated',
    'ind_petition_processing_on_time',
    'ind_petition_handling_satisfaction',
    'ind_dossier_receiving_satisfaction',
    'ind_original_result_available',
    'ind_so_hoa_giay_to_giai_quyet',
    'ind_reused_digitized_data',
    'ind_synced_with_dvcqg_personal_storage',
    'ind_citizen_data_connected_dossier',
    'ind_citizen_data_connected_formality',
] %}
{%- set official_indicators = [
    'ind_publish_on_time',
    'ind_public_update_on_time',
    'ind_public_content_full',
    'ind_electronic_certified_copy',
] %}
with

counters as (
    {%- for model in computed_indicators %}
    select
        rollup, unit_code, period_type, period_start, indicator_code, numerator, denominator,
        cast(null as double) as official_ratio,
        cast(null as double) as official_points,
        cast(null as string) as official_flag
    from {{ ref(model) }}
    union all
    {%- endfor %}
    {%- for model in official_indicators %}
    select
        rollup, unit_code, period_type, period_start, indicator_code, numerator, denominator,
        ratio, points, flag
    from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

scored as (
    select
        counters.unit_code,
        counters.rollup,
        counters.period_type,
        counters.period_start,
        counters.indicator_code,
        catalog.group_code,
        periods.period_end,
        periods.evaluated_at as as_of,
        cast(counters.numerator as bigint) as numerator,
        cast(counters.denominator as bigint) as denominator,
        case
            when counters.official_flag is not null then counters.official_ratio
            else {{ safe_ratio('counters.numerator', 'counters.denominator') }}
        end as ratio,
        case
            when counters.official_flag is not null then counters.official_points
            else {{ score_points(
                safe_ratio('counters.numerator', 'counters.denominator'),
                'counters.denominator', 'catalog.max_points', 'catalog.scoring_rule',
                'catalog.threshold', 'catalog.zero_denominator_points'
            ) }}
        end as points,
        cast(catalog.max_points as double) as max_points,
        case
            when counters.official_flag is not null then counters.official_flag
            when coalesce(counters.denominator, 0) = 0 then 'no_activity'
            else 'ok'
        end as flag
    from counters
    inner join catalog on catalog.indicator_code = counters.indicator_code
    inner join periods
        on periods.period_type = counters.period_type
        and periods.period_start = counters.period_start
)

select * from scored
