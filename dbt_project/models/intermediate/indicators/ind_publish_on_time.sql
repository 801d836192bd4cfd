-- PUBLISH_ON_TIME (indices.md §1, công bố TTHC đúng hạn): procedures announced at least 5 working
-- days before their legal basis takes effect ÷ procedures announced (window: decision date).
-- Copied from the national evaluation API (official, §1); the assignment of portal entries to
-- spine rows (own unit, else the root) is `int_evaluation_metrics__assigned`.
{{ official_indicator('PUBLISH_ON_TIME') }}
