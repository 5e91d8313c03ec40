-- The public names analysts query (docs/data_dictionary.md), each what was loaded joined
-- with what the models derived from it: the base rows hold only what was received or
-- found, and no model ever updates them. Between a load and the next models (inside a
-- run) a new file has no status yet and a new failure is not waived, as they were before.
-- Created once (with their comments); a warehouse whose statuses were still stored in
-- these names is converted first (builds/derive_statuses.sql).
CREATE VIEW IF NOT EXISTS raw.submissions AS
SELECT
    r.file_hash, r.file_name, r.file_size, r.archived_path, r.district_code, r.period,
    r.received_at, r.run_id, r.readable,
    s.version, s.status, s.errors, s.warnings,
    r.preparer, r.prepared_on, r.contact
FROM raw.submissions_received AS r
LEFT JOIN core.submission_status AS s ON s.file_hash = r.file_hash;

CREATE VIEW IF NOT EXISTS quality.validation_failures AS
SELECT
    f.failure_id, f.file_hash, f.district_code, f.period, f.sheet, f.row_number,
    f.column_name, f.cell, f.rule_code, f.severity, f.value_found, f.message_vi,
    f.message_en,
    coalesce(w.waived, false) AS waived
FROM quality.failures_found AS f
LEFT JOIN core.failure_status AS w ON w.failure_id = f.failure_id;

-- The periods whose latest decision is a lock: their published figures stay as they are
-- (models/07_frozen_periods.sql) until a steward reopens them.
CREATE VIEW IF NOT EXISTS ops.locked_periods AS
SELECT period, decided_by AS locked_by, decided_at AS locked_at, reason, applied_run
FROM ops.period_decisions
QUALIFY row_number() OVER (PARTITION BY period ORDER BY decided_at DESC, decision_id DESC) = 1
    AND action = 'lock';
