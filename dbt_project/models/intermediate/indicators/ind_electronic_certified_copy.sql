-- ELECTRONIC_CERTIFIED_COPY (indices.md §6, chứng thực bản sao điện tử từ bản chính): as the
-- `dossier-digitized` group publishes it (Phú Thọ: numerator and denominator null, ratio 100,
-- score 2).
-- Copied from the national evaluation API (official, §1); the assignment of portal entries to
-- spine rows (own unit, else the root) is `int_evaluation_metrics__assigned`.
{{ official_indicator('ELECTRONIC_CERTIFIED_COPY') }}
