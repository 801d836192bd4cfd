-- Lower bound of the warehouse's data work: PROGRESS_ON_TIME (with the supplement adjustment,
-- indices.md §2) and SO_HOA_GIAY_TO_GIAI_QUYET (§6), numerators and denominators per unit
-- (the dossier's own unit, roll-up SELF) and month, straight from the raw Parquet, in one
-- hand-written DuckDB script. Same rules as the project's models, none of their layering:
-- one pass over the latest versions, one unnest of the histories, one join with the months.
-- Placeholders: {raw} (raw zone), {seeds} (dbt seeds folder), {as_of}, {history_start}.
SET TimeZone = 'Asia/Ho_Chi_Minh';

CREATE OR REPLACE TEMP TABLE status_map AS
SELECT * FROM read_csv('{seeds}/motcua_status_map.csv', header = true,
    columns = {'vendor_status_id': 'INTEGER', 'vendor_status_name': 'VARCHAR', 'national_status': 'INTEGER'});

CREATE OR REPLACE TEMP TABLE cal AS
WITH days AS (
    SELECT cast(c.date AS date) AS d, coalesce(o.is_working_day, c.is_working_day) AS w
    FROM read_parquet('{raw}/calendar/working_days/*.parquet') c
    LEFT JOIN read_csv('{seeds}/calendar_overrides.csv', header = true,
        columns = {'date': 'DATE', 'is_working_day': 'BOOLEAN', 'name': 'VARCHAR'}) o ON o.date = c.date
)
SELECT d, w, sum(w::int) OVER (ORDER BY d) - w::int AS ord FROM days;

CREATE OR REPLACE TEMP TABLE months AS
SELECT m AS period_start, m::timestamptz AS starts_at,
       least((m + INTERVAL 1 MONTH)::timestamptz, '{as_of}'::timestamptz) AS evaluated_at
FROM (SELECT unnest(generate_series(date_trunc('month', '{history_start}'::date),
                                    '{as_of}'::timestamptz::date, INTERVAL 1 MONTH))::date AS m)
WHERE m::timestamptz < '{as_of}'::timestamptz;

CREATE OR REPLACE TEMP TABLE procs AS
WITH p AS (
    SELECT * FROM read_parquet('{raw}/motcua/procedures/*.parquet')
    WHERE _extracted_at = (SELECT max(_extracted_at) FROM read_parquet('{raw}/motcua/procedures/*.parquet'))
)
SELECT id, code, processing_time, processing_time_unit, same_day_cutoff, result_is_document,
       row_number() OVER (PARTITION BY code ORDER BY valid_from DESC NULLS LAST, id DESC) = 1 AS is_current
FROM p;

-- The latest version of every counted dossier with what the two rules need of it.
CREATE OR REPLACE TEMP TABLE d AS
WITH latest AS (
    SELECT id, agency_code, procedure_id, procedure_code, accepted_at, appointment_at, status_id,
           inter_agency_copy, files, history
    FROM read_parquet('{raw}/motcua/dossiers/**/*.parquet', hive_partitioning = true, union_by_name = true)
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY updated_at DESC, _extracted_at DESC, _run_id DESC) = 1
)
SELECT l.id, l.agency_code AS unit, l.accepted_at, l.appointment_at, l.history,
       coalesce(v.result_is_document, c.result_is_document, false) AS result_is_document,
       coalesce(v.processing_time, c.processing_time) AS pt,
       coalesce(v.processing_time_unit, c.processing_time_unit) AS ptu,
       coalesce(v.same_day_cutoff, c.same_day_cutoff) AS cutoff,
       list_bool_or([f.kind = 'COMPONENT' AND coalesce(f.digitized, false) FOR f IN l.files]) AS digitized,
       list_bool_or([f.kind = 'RESULT' FOR f IN l.files]) AS result_file
FROM latest l
JOIN status_map s ON s.vendor_status_id = l.status_id
LEFT JOIN procs v ON v.id = l.procedure_id
LEFT JOIN procs c ON c.code = l.procedure_code AND c.is_current
WHERE l.accepted_at IS NOT NULL AND s.national_status NOT IN (1, 3)
  AND NOT coalesce(l.inter_agency_copy, false);

-- Working-minute index of an instant (indices.md §0.4).
CREATE OR REPLACE TEMP MACRO wmi(ts, ord, w) AS
    ord * 480 + CASE WHEN w THEN
        least(greatest(hour(ts) * 60 + minute(ts) + second(ts) / 60.0 - 420, 0), 270)
      + least(greatest(hour(ts) * 60 + minute(ts) + second(ts) / 60.0 - 810, 0), 210)
    ELSE 0 END;
CREATE OR REPLACE TEMP MACRO office_instant(day, m) AS
    (day::timestamp + to_microseconds(round((420 + m + CASE WHEN m > 270 THEN 120 ELSE 0 END) * 60000000.0)::bigint))::timestamptz;

-- One pass over the histories: terminal instant and supplement rounds.
CREATE OR REPLACE TEMP TABLE steps AS
SELECT id, s.step.at AS step_at, s.step.seq AS seq, s.step.action AS action, m.national_status AS ns
FROM (SELECT id, unnest(history) AS step FROM d) s
LEFT JOIN status_map m ON m.vendor_status_id = s.step.status_id;

CREATE OR REPLACE TEMP TABLE ev AS
SELECT id,
       coalesce(min(step_at) FILTER (WHERE ns = 9), min(step_at) FILTER (WHERE ns = 10)) AS finished_at,
       coalesce(min(step_at) FILTER (WHERE ns = 9), min(step_at) FILTER (WHERE ns = 10), min(step_at) FILTER (WHERE ns IN (7, 8))) AS terminal_at
FROM steps GROUP BY id;

CREATE OR REPLACE TEMP TABLE rounds AS
WITH req AS (
    SELECT id, step_at AS requested_at,
           row_number() OVER (PARTITION BY id ORDER BY step_at, seq) AS round_no,
           lead(step_at) OVER (PARTITION BY id ORDER BY step_at, seq) AS next_at
    FROM steps WHERE action = 'REQUEST_SUPPLEMENT'
), paired AS (
    SELECT r.id, r.round_no, r.requested_at, min(x.step_at) AS received_at
    FROM req r LEFT JOIN steps x
      ON x.id = r.id AND x.action = 'SUPPLEMENT_RECEIVED' AND x.step_at >= r.requested_at
     AND (r.next_at IS NULL OR x.step_at < r.next_at)
    GROUP BY ALL
)
SELECT p.*, wmi(p.requested_at, a.ord, a.w) AS requested_index, wmi(p.received_at, b.ord, b.w) AS received_index
FROM paired p JOIN cal a ON a.d = p.requested_at::date LEFT JOIN cal b ON b.d = p.received_at::date;

-- Statutory due index, only where the dossier has no appointment (§0.4).
CREATE OR REPLACE TEMP TABLE due AS
WITH r AS (
    SELECT d.id, d.accepted_at, d.pt, d.ptu, d.cutoff, c.w AS on_working_day, c.d AS received_date,
           wmi(d.accepted_at, c.ord, c.w) AS ri
    FROM d JOIN cal c ON c.d = d.accepted_at::date
    WHERE d.appointment_at IS NULL
), n AS (
    SELECT r.*, office_instant(o.d, r.ri - o.ord * 480) AS normalised
    FROM r JOIN cal o ON o.w AND o.ord = floor(r.ri / 480.0)::bigint
), t AS (
    SELECT n.*,
           CASE ptu WHEN 'WORKING_DAY' THEN ri + pt * 480 WHEN 'HOUR' THEN ri + pt * 60 END AS due_index,
           CASE ptu WHEN 'DAY' THEN normalised + to_microseconds((pt * 86400000000)::bigint)
                    WHEN 'MONTH' THEN normalised + to_months(pt::integer) END AS cal_due,
           CASE WHEN cutoff IS NOT NULL AND pt = 0 THEN
                CASE WHEN on_working_day AND strftime(accepted_at, '%H:%M:%S') <= cutoff || ':00'
                     THEN received_date
                     ELSE (SELECT min(w2.d) FROM cal w2 WHERE w2.w AND w2.d > received_date) END
           END AS same_day
    FROM n
), resolved AS (
    SELECT t.id,
           CASE
               WHEN same_day IS NOT NULL THEN office_instant(same_day, 480)
               WHEN due_index IS NOT NULL THEN office_instant(dd.d, due_index - dd.ord * 480)
               WHEN cal_due IS NOT NULL THEN CASE
                   WHEN roll.d = cal_due::date THEN cal_due
                   ELSE (roll.d::timestamp + (cal_due::timestamp - cal_due::date::timestamp))::timestamptz END
           END AS due_at
    FROM t
    LEFT JOIN cal dd ON dd.w AND dd.ord = ceil(due_index / 480.0)::bigint - 1
    LEFT JOIN cal roll ON roll.d = (SELECT min(w3.d) FROM cal w3 WHERE w3.w AND w3.d >= cal_due::date)
)
SELECT resolved.id, wmi(resolved.due_at, c.ord, c.w) AS due_index
FROM resolved LEFT JOIN cal c ON c.d = resolved.due_at::date;

-- PROGRESS_ON_TIME: handled dossiers per unit and month, late ones after the adjustment.
CREATE OR REPLACE TEMP TABLE progress AS
WITH h AS (
    SELECT d.id, d.unit, d.appointment_at, m.period_start,
           CASE WHEN ev.terminal_at < m.evaluated_at THEN ev.terminal_at ELSE m.evaluated_at END AS end_at
    FROM d LEFT JOIN ev USING (id)
    JOIN months m ON d.accepted_at < m.evaluated_at
     AND (ev.terminal_at IS NULL OR ev.terminal_at >= m.starts_at)
), adj AS (
    SELECT h.id, h.period_start,
           count(*) AS n,
           sum(CASE WHEN r.received_at < h.end_at THEN epoch(r.received_at) - epoch(r.requested_at) ELSE 0 END) AS waited_s,
           sum(CASE WHEN r.received_at < h.end_at THEN r.received_index - r.requested_index ELSE 0 END) AS waited_m,
           arg_max(r.requested_at, r.round_no) AS last_at,
           arg_max(r.requested_index, r.round_no) AS last_index,
           arg_max(r.received_at IS NULL OR r.received_at >= h.end_at, r.round_no) AS last_open
    FROM h JOIN rounds r ON r.id = h.id AND r.requested_at < h.end_at
    GROUP BY h.id, h.period_start
)
SELECT h.unit, h.period_start, count(*) AS handled,
       count(*) FILTER (WHERE NOT CASE
           WHEN coalesce(a.last_open, false) AND a.n >= 2 THEN true
           WHEN h.appointment_at IS NOT NULL THEN
               CASE WHEN a.last_open THEN a.last_at
                    ELSE h.end_at - to_microseconds((coalesce(a.waited_s, 0) * 1000000)::bigint) END > h.appointment_at
           WHEN due.due_index IS NOT NULL THEN
               CASE WHEN a.last_open THEN a.last_index
                    ELSE wmi(h.end_at, c.ord, c.w) - coalesce(a.waited_m, 0) END > due.due_index
           ELSE false END) AS on_time
FROM h
LEFT JOIN adj a ON a.id = h.id AND a.period_start = h.period_start
LEFT JOIN due ON due.id = h.id
LEFT JOIN cal c ON c.d = h.end_at::date
GROUP BY h.unit, h.period_start;

-- SO_HOA_GIAY_TO_GIAI_QUYET: dossiers received in the month, those digitised.
CREATE OR REPLACE TEMP TABLE so_hoa AS
SELECT d.unit, m.period_start, count(*) AS received,
       count(*) FILTER (WHERE d.digitized AND (NOT (d.result_is_document
           AND coalesce(ev.finished_at < m.evaluated_at, false)) OR d.result_file)) AS qualifying
FROM d LEFT JOIN ev USING (id)
JOIN months m ON d.accepted_at >= m.starts_at AND d.accepted_at < m.evaluated_at
GROUP BY d.unit, m.period_start;

-- Reported for the months a unit exists in (valid on some day of the month), like the spine.
CREATE OR REPLACE TEMP TABLE unit_months AS
WITH a AS (
    SELECT * FROM read_parquet('{raw}/motcua/agencies/*.parquet')
    WHERE _extracted_at = (SELECT max(_extracted_at) FROM read_parquet('{raw}/motcua/agencies/*.parquet'))
      AND level <> 'PROVINCE'
)
SELECT a.code AS unit, m.period_start
FROM a JOIN months m
  ON coalesce(a.valid_from::date, DATE '1900-01-01') <= (m.period_start + INTERVAL 1 MONTH - INTERVAL 1 DAY)::date
 AND (a.valid_to IS NULL OR a.valid_to::date >= m.period_start);

CREATE OR REPLACE TABLE lower_bound AS
SELECT 'PROGRESS_ON_TIME' AS indicator_code, unit AS unit_code, period_start,
       on_time AS numerator, handled AS denominator FROM progress JOIN unit_months USING (unit, period_start)
UNION ALL
SELECT 'SO_HOA_GIAY_TO_GIAI_QUYET', unit, period_start, qualifying, received
FROM so_hoa JOIN unit_months USING (unit, period_start);
