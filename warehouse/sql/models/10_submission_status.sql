-- Each submission's version and status, derived from what was received and found (the
-- received rows are never changed; raw.submissions shows them with their status).
--   unreadable  the file could not be read as a workbook
--   rejected    it has an unwaived error, or names no known unit or period
--   accepted    the latest clean version for its district and period (its figures count)
--   superseded  a clean version replaced by a later clean one
--   held        a clean version received while its period is locked
-- A rejected new version leaves the last accepted one in force.
-- The statuses before are kept for 15_changed_periods.sql.
CREATE OR REPLACE TEMP TABLE status_before AS
SELECT file_hash, status FROM core.submission_status;

CREATE OR REPLACE TEMP TABLE submission_status_built AS
WITH counts AS (
    SELECT
        s.file_hash,
        count(f.failure_id) FILTER (WHERE f.severity = 'error' AND NOT f.waived) AS errors,
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
            ELSE 'clean'
        END AS verdict
    FROM raw.submissions_received AS s
    JOIN counts AS c USING (file_hash)
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
),
derived AS (
    SELECT
        file_hash, period, version, errors, warnings,
        CASE
            WHEN verdict <> 'clean' THEN verdict
            WHEN recency = 1 THEN 'accepted'
            ELSE 'superseded'
        END AS status
    FROM ranked
)
-- In a locked period (07_frozen_periods.sql) the files it had keep their status, and a
-- clean file received since is held: it counts once the period is reopened.
SELECT
    d.file_hash, d.version,
    coalesce(k.errors, d.errors) AS errors,
    coalesce(k.warnings, d.warnings) AS warnings,
    CASE
        WHEN k.file_hash IS NOT NULL THEN k.status
        WHEN d.period IN (SELECT period FROM frozen_periods)
             AND d.status IN ('accepted', 'superseded') THEN 'held'
        ELSE d.status
    END AS status
FROM derived AS d
LEFT JOIN status_stored AS k USING (file_hash);

-- Rows replaced, the table kept (with its comments).
DELETE FROM core.submission_status;

INSERT INTO core.submission_status BY NAME FROM submission_status_built;
