{#-
    The per-dossier rule of every indicator counted over dossiers (indices.md §1–§6), written
    once. Each macro `<indicator_code>__dossiers()` returns a bare select with one row per
    dossier and period in the indicator's population:

        dossier_id, unit_code, period_type, period_start, indicator_code,
        in_numerator (boolean, never null), reason_code (why it is outside the numerator;
        null when in it)

    The `ind_*` model of the indicator counts these rows (`share_on_spine(..., 'in_numerator')`)
    and `marts.fct_dossier_indicator` lists them (with `reason_vi` from the seed
    `dossier_indicator_reasons`), so the number and the list cannot diverge. The data test
    `assert_fct_dossier_indicator_sums_to_fct_indicator` checks it on every build.
    `dossier_indicator_macros()` names them for the mart.

    `key_model` (optional, every macro): the mart's incremental build recomputes only the
    dossiers of that model (`only_changed`), and each population is filtered by it where it is
    read. A filter on the mart's output alone was not pushed below the populations' joins:
    DuckDB joined every dossier's periods before it (at 3 M dossiers, 4.5 against 2.2 CPU-s).
-#}

{% macro dossier_indicator_macros() -%}
    {{- return({
        'DOSSIER_SYNC': dossier_sync__dossiers,
        'PROGRESS_ON_TIME': progress_on_time__dossiers,
        'ONLINE_DOSSIER_SHARE': online_dossier_share__dossiers,
        'PAYMENT_DOSSIER_ONLINE': payment_dossier_online__dossiers,
        'DOSSIER_RECEIVING_SATISFACTION': dossier_receiving_satisfaction__dossiers,
        'ORIGINAL_RESULT_AVAILABLE': original_result_available__dossiers,
        'SO_HOA_GIAY_TO_GIAI_QUYET': so_hoa_giay_to_giai_quyet__dossiers,
        'REUSED_DIGITIZED_DATA': reused_digitized_data__dossiers,
        'SYNCED_WITH_DVCQG_PERSONAL_STORAGE': synced_with_dvcqg_personal_storage__dossiers,
        'CITIZEN_DATA_CONNECTED_DOSSIER': citizen_data_connected_dossier__dossiers,
    }) -}}
{%- endmacro %}

{#- The rows of `relation` with the rule's verdict: `in_numerator` is `qualifying` (null counts
  as false, as `count_qualifying` counts it) and `reason` (a SQL expression giving a reason
  code) applies when it does not hold. -#}
{% macro dossier_verdicts(indicator_code, relation, qualifying, reason) -%}
    select
        dossier_id,
        unit_code,
        period_type,
        period_start,
        '{{ indicator_code }}' as indicator_code,
        coalesce({{ qualifying }}, false) as in_numerator,
        case when not coalesce({{ qualifying }}, false) then {{ reason }} end as reason_code
    from {{ relation }} as population
{%- endmacro %}

{#- Dossiers received in the period (int_dossiers__received_in_periods), optionally filtered. -#}
{% macro received_dossiers(where='true', key_model=none) -%}
    (select * from {{ ref('int_dossiers__received_in_periods') }}
     where {{ where }} and {{ only_changed('dossier_id', key_model) }})
{%- endmacro %}

{#- DOSSIER_SYNC (§1): the one-stop side; a dossier counts when its national copy exists at AS_OF.
  The national copies the one-stop extract lacks weigh on the denominator only
  (`dossier_sync__national_copies`, see ind_dossier_sync). -#}
{% macro dossier_sync__dossiers(key_model=none) -%}
    {{ dossier_verdicts('DOSSIER_SYNC', received_dossiers(key_model=key_model), 'has_national_copy', "'NO_NATIONAL_COPY'") }}
{%- endmacro %}

{#- DOSSIER_SYNC's national side: copies received in each period per unit (NgayTiepNhan,
  TrangThaiHoSo not 1 or 3, inter-agency copies excluded as everywhere, §0.2). -#}
{% macro dossier_sync__national_copies() -%}
    select
        national_copies.unit_code,
        periods.period_type,
        periods.period_start,
        count(*) as received_national
    from (
        select copies.unit_code, copies.received_at
        from {{ ref('stg_dvcqg__dossier_copies') }} as copies
        left join (
            select distinct national_code from {{ ref('stg_motcua__dossiers') }}
            where inter_agency_copy and national_code is not null
        ) as inter_agency_codes on inter_agency_codes.national_code = copies.national_code
        where copies.received_at is not null
          and copies.national_status not in (1, 3)
          and inter_agency_codes.national_code is null
    ) as national_copies
    inner join {{ ref('int_periods') }} as periods
        on national_copies.received_at >= periods.starts_at
        and national_copies.received_at < periods.evaluated_at
    where periods.period_type <> 'as_of'
    group by national_copies.unit_code, periods.period_type, periods.period_start
{%- endmacro %}

{#- PROGRESS_ON_TIME (§2): handled dossiers; on time unless late by the rule of
  int_progress_on_time__dossier_periods. -#}
{% macro progress_on_time__dossiers(key_model=none) -%}
    {{ dossier_verdicts(
        'PROGRESS_ON_TIME',
        "(select * from " ~ ref('int_progress_on_time__dossier_periods') ~ " where period_type <> 'as_of'"
        ~ " and " ~ only_changed('dossier_id', key_model) ~ ")",
        'not is_late',
        "case when is_terminal then 'FINISHED_LATE' else 'OPEN_OVERDUE' end"
    ) }}
{%- endmacro %}

{#- ONLINE_DOSSIER_SHARE (§3 C): received online and, for a document result, an electronic one. -#}
{% macro online_dossier_share__dossiers(key_model=none) -%}
    {{ dossier_verdicts(
        'ONLINE_DOSSIER_SHARE', received_dossiers(key_model=key_model),
        'channel = 2 and (not result_is_document or has_e_result)',
        "case when coalesce(channel, 0) <> 2 then 'NOT_ONLINE' else 'NO_E_RESULT' end"
    ) }}
{%- endmacro %}

{#- PAYMENT_DOSSIER_ONLINE (§4 A): fee-bearing dossiers with a payable line, paid online. -#}
{% macro payment_dossier_online__dossiers(key_model=none) -%}
    {{ dossier_verdicts(
        'PAYMENT_DOSSIER_ONLINE', received_dossiers('fee_bearing and has_payable_fee', key_model),
        'paid_online', "'NOT_PAID_ONLINE'"
    ) }}
{%- endmacro %}

{#- DOSSIER_RECEIVING_SATISFACTION (§5): handled dossiers not late, not rated DISSATISFIED and
  not linked to a petition. The first reason that applies is given. -#}
{% macro dossier_receiving_satisfaction__dossiers(key_model=none) -%}
    {%- set handled -%}
        (select handled.*, facts.rating, facts.linked_to_petition
         from {{ ref('int_progress_on_time__dossier_periods') }} as handled
         left join {{ ref('int_dossiers__flagged') }} as facts on facts.dossier_id = handled.dossier_id
         where handled.period_type <> 'as_of' and {{ only_changed('handled.dossier_id', key_model) }})
    {%- endset -%}
    {{ dossier_verdicts(
        'DOSSIER_RECEIVING_SATISFACTION', handled,
        "not (is_late or coalesce(rating = 'DISSATISFIED', false) or coalesce(linked_to_petition, false))",
        "case when is_late then 'LATE' when rating = 'DISSATISFIED' then 'DISSATISFIED' else 'PETITION' end"
    ) }}
{%- endmacro %}

{#- ORIGINAL_RESULT_AVAILABLE (§6): document-result dossiers finished in the period (first status
  9, else 10, period_start <= finish < T) with an electronic result. -#}
{% macro original_result_available__dossiers(key_model=none) -%}
    {%- set finished -%}
        (select finished.dossier_id, finished.unit_code, periods.period_type, periods.period_start,
                finished.has_e_result
         from {{ ref('int_dossiers__flagged') }} as finished
         inner join {{ ref('int_periods') }} as periods
             on finished.finished_at >= periods.starts_at
             and finished.finished_at < periods.evaluated_at
         where finished.result_is_document and finished.finished_at is not null
           and periods.period_type <> 'as_of' and {{ only_changed('finished.dossier_id', key_model) }})
    {%- endset -%}
    {{ dossier_verdicts('ORIGINAL_RESULT_AVAILABLE', finished, 'has_e_result', "'NO_E_RESULT'") }}
{%- endmacro %}

{#- SO_HOA_GIAY_TO_GIAI_QUYET (§6): a digitised component and, once a document result is
  finished before T, a RESULT file. -#}
{% macro so_hoa_giay_to_giai_quyet__dossiers(key_model=none) -%}
    {{ dossier_verdicts(
        'SO_HOA_GIAY_TO_GIAI_QUYET', received_dossiers(key_model=key_model),
        'has_digitized_component and (not (result_is_document and finished_before_evaluation) or has_result_file)',
        "case when not coalesce(has_digitized_component, false) then 'NO_DIGITIZED_COMPONENT' else 'NO_RESULT_FILE' end"
    ) }}
{%- endmacro %}

{#- REUSED_DIGITIZED_DATA (§6): a file reused from digitised data. -#}
{% macro reused_digitized_data__dossiers(key_model=none) -%}
    {{ dossier_verdicts('REUSED_DIGITIZED_DATA', received_dossiers(key_model=key_model), 'has_reused_file', "'NO_REUSED_FILE'") }}
{%- endmacro %}

{#- SYNCED_WITH_DVCQG_PERSONAL_STORAGE (§6): a file from, or a result pushed to, the citizen's store. -#}
{% macro synced_with_dvcqg_personal_storage__dossiers(key_model=none) -%}
    {{ dossier_verdicts(
        'SYNCED_WITH_DVCQG_PERSONAL_STORAGE', received_dossiers(key_model=key_model), 'uses_citizen_store', "'NO_CITIZEN_STORE'"
    ) }}
{%- endmacro %}

{#- CITIZEN_DATA_CONNECTED_DOSSIER (§6): VNeID login or a population-database query. -#}
{% macro citizen_data_connected_dossier__dossiers(key_model=none) -%}
    {{ dossier_verdicts(
        'CITIZEN_DATA_CONNECTED_DOSSIER', received_dossiers(key_model=key_model), 'uses_citizen_data', "'NO_CITIZEN_DATA'"
    ) }}
{%- endmacro %}
