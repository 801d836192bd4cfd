-- PUBLIC_CONTENT_FULL (indices.md §1, công khai đầy đủ nội dung TTHC): published procedures with
-- all 7 mandatory parts ÷ published procedures (snapshot).
-- Copied from the national evaluation API (official, §1); the assignment of portal entries to
-- spine rows (own unit, else the root) is `int_evaluation_metrics__assigned`.
{{ official_indicator('PUBLIC_CONTENT_FULL') }}
