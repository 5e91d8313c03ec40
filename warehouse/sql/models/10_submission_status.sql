-- Each submission's version and status, derived from what was received and found (the
-- received rows are never changed; raw.submissions shows them with their status).
--   unreadable  the file could not be read as a workbook
--   rejected    it has an unwaived error, or names no known unit or period
--   accepted    the latest clean version for its district and period (its figures count)
--   superseded  a clean version replaced by a later clean one
--   held        a clean version received after a steward locked its period
-- A rejected new version leaves the last accepted one in force. While a period is locked
-- (ops.locked_periods) only what was received and waived before the lock counts, so its
-- statuses stay as approved, night after night; reopened, everything counts again.
-- The statuses before are kept for 15_changed_periods.sql.
CREATE OR REPLACE TEMP TABLE status_before AS
SELECT file_hash, status FROM core.submission_status;

CREATE OR REPLACE TEMP TABLE submission_status_built AS
WITH counted_waivers AS (
    -- a waiver counts unless it was made after the lock of its failure's period
    SELECT w.failure_id
    FROM quality.waivers AS w
    LEFT JOIN ops.locked_periods AS l ON l.period = w.period
    WHERE l.period IS NULL OR w.waived_at <= l.locked_at
),
counts AS (
    SELECT
        s.file_hash,
        count(f.failure_id) FILTER (WHERE f.severity = 'error' AND NOT (f.waived
            AND f.failure_id IN (SELECT failure_id FROM counted_waivers))) AS errors,
        count(f.failure_id) FILTER (WHERE f.severity = 'warning') AS warnings
    FROM raw.submissions_received AS s
    LEFT JOIN quality.validation_failures AS f USING (file_hash)
    GROUP BY s.file_hash
),
verdicts AS (
    SELECT
        s.file_hash, s.district_code, s.period, s.received_at, c.errors, c.warnings,
        CASE
            WHEN NOT s.readable THEN 'unreadable'
            WHEN c.errors > 0 OR s.district_code IS NULL OR s.period IS NULL THEN 'rejected'
            WHEN s.received_at > l.locked_at THEN 'held'
            ELSE 'clean'
        END AS verdict
    FROM raw.submissions_received AS s
    JOIN counts AS c USING (file_hash)
    LEFT JOIN ops.locked_periods AS l ON l.period = s.period
),
ranked AS (
    SELECT
        *,
        CASE WHEN district_code IS NOT NULL AND period IS NOT NULL THEN
            row_number() OVER (PARTITION BY district_code, period
                               ORDER BY received_at, file_hash)
        END AS version,
        row_number() OVER (PARTITION BY district_code, period, verdict = 'clean'
                           ORDER BY received_at DESC, file_hash DESC) AS recency
    FROM verdicts
)
SELECT
    file_hash, version, errors, warnings,
    CASE
        WHEN verdict <> 'clean' THEN verdict
        WHEN recency = 1 THEN 'accepted'
        ELSE 'superseded'
    END AS status
FROM ranked;

-- Rows replaced, the table kept (with its comments).
DELETE FROM core.submission_status;

INSERT INTO core.submission_status BY NAME FROM submission_status_built;
