-- Tables whose columns are not fields of the return form (those are generated, see
-- 20_contract_tables.sql). Marts are (re)built by the models in ../models/.
CREATE TABLE IF NOT EXISTS ref.reporting_units (
    code VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    parent_code VARCHAR,
    valid_from DATE NOT NULL,
    valid_to DATE,
    aliases VARCHAR
);
CREATE TABLE IF NOT EXISTS ref.sectors (
    code VARCHAR PRIMARY KEY,
    name_vi VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS ref.indicators (
    code VARCHAR PRIMARY KEY,
    sort_order INTEGER NOT NULL,
    name_vi VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    numerator VARCHAR NOT NULL,
    denominator VARCHAR,
    statuses VARCHAR[],
    sectors VARCHAR[],
    scale DOUBLE NOT NULL,
    by_sector BOOLEAN NOT NULL,
    definition_en VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS ref.targets (
    period VARCHAR NOT NULL,
    unit_code VARCHAR NOT NULL,
    indicator_code VARCHAR NOT NULL,
    target DOUBLE NOT NULL,
    source VARCHAR,
    PRIMARY KEY (period, unit_code, indicator_code)
);
CREATE TABLE IF NOT EXISTS ref.rules (
    code VARCHAR PRIMARY KEY,
    severity VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    sheet VARCHAR,
    column_name VARCHAR,
    message_vi VARCHAR NOT NULL,
    message_en VARCHAR NOT NULL,
    description_en VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS ref.periods (
    code VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    deadline DATE NOT NULL
);
CREATE TABLE IF NOT EXISTS ops.runs (
    run_id VARCHAR PRIMARY KEY,
    flow_run_id VARCHAR,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    files_seen INTEGER NOT NULL,
    files_new INTEGER NOT NULL,
    files_accepted INTEGER NOT NULL,
    files_rejected INTEGER NOT NULL,
    files_unreadable INTEGER NOT NULL,
    outcome VARCHAR NOT NULL,
    files_held INTEGER
);
-- A warehouse of an earlier version gets the column that came last.
ALTER TABLE ops.runs ADD COLUMN IF NOT EXISTS files_held INTEGER;
CREATE TABLE IF NOT EXISTS ops.period_builds (
    period VARCHAR PRIMARY KEY,
    reference_digest VARCHAR NOT NULL,
    models_digest VARCHAR NOT NULL,
    built_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
-- Stewards' decisions to lock (approve) or unlock (reopen) a period, as the portal recorded
-- them and a run applied them (load/period_decisions.sql); ops.locked_periods says which
-- periods are locked now.
CREATE TABLE IF NOT EXISTS ops.period_decisions (
    decision_id VARCHAR PRIMARY KEY,
    period VARCHAR NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('lock', 'unlock')),
    reason VARCHAR NOT NULL,
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    applied_run VARCHAR NOT NULL
);
-- What was received (load/submissions.sql); the status of each file is derived by
-- models/10_submission_status.sql into core.submission_status, and raw.submissions shows
-- both (50_public_views.sql).
CREATE TABLE IF NOT EXISTS raw.submissions_received (
    file_hash VARCHAR PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    file_size BIGINT NOT NULL,
    archived_path VARCHAR NOT NULL,
    district_code VARCHAR,
    period VARCHAR,
    received_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL,
    readable BOOLEAN NOT NULL,
    preparer VARCHAR,
    prepared_on DATE,
    contact VARCHAR
);
CREATE TABLE IF NOT EXISTS raw.declared_totals (
    file_hash VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    header VARCHAR NOT NULL,
    indicator_code VARCHAR NOT NULL,
    sector VARCHAR NOT NULL,
    declared DOUBLE NOT NULL,
    cell VARCHAR NOT NULL
);
-- What was found (load/failures.sql); whether a failure is waived is derived by
-- models/05_failure_status.sql into core.failure_status, and quality.validation_failures
-- shows both (50_public_views.sql).
CREATE TABLE IF NOT EXISTS quality.failures_found (
    failure_id VARCHAR PRIMARY KEY,
    file_hash VARCHAR NOT NULL,
    district_code VARCHAR,
    period VARCHAR,
    sheet VARCHAR,
    row_number INTEGER,
    column_name VARCHAR,
    cell VARCHAR,
    rule_code VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    value_found VARCHAR,
    message_vi VARCHAR NOT NULL,
    message_en VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS core.submission_indicators (
    file_hash VARCHAR NOT NULL,
    indicator_code VARCHAR NOT NULL,
    sector VARCHAR NOT NULL,
    numerator DOUBLE,
    denominator DOUBLE,
    rows_included BIGINT NOT NULL,
    rows_left_out BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS quality.rule_checks (
    file_hash VARCHAR NOT NULL,
    rule_code VARCHAR NOT NULL,
    rows_checked BIGINT NOT NULL,
    rows_skipped BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS quality.waivers (
    failure_id VARCHAR PRIMARY KEY,
    file_hash VARCHAR NOT NULL,
    district_code VARCHAR,
    period VARCHAR,
    rule_code VARCHAR NOT NULL,
    cell VARCHAR,
    reason VARCHAR NOT NULL,
    waived_by VARCHAR NOT NULL,
    waived_at TIMESTAMPTZ NOT NULL
);
-- Derived by the models at every run, never loaded: each file's version and status
-- (models/10_submission_status.sql) and whether each failure is waived
-- (models/05_failure_status.sql).
CREATE TABLE IF NOT EXISTS core.submission_status (
    file_hash VARCHAR PRIMARY KEY,
    version INTEGER,
    status VARCHAR NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS core.failure_status (
    failure_id VARCHAR PRIMARY KEY,
    waived BOOLEAN NOT NULL
);
