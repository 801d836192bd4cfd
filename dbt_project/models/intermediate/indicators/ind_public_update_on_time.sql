-- PUBLIC_UPDATE_ON_TIME (indices.md §1, công khai TTHC trên CSDL quốc gia đúng hạn): procedures
-- published on the national database at most 5 working days after announcement ÷ procedures due.
-- Copied from the national evaluation API (official, §1); the assignment of portal entries to
-- spine rows (own unit, else the root) is `int_evaluation_metrics__assigned`.
{{ official_indicator('PUBLIC_UPDATE_ON_TIME') }}
