-- Whether each failure is waived: a steward's waiver names it (a waiver applies to that
-- failure of that file version only: a new version has new failure ids). Derived at each
-- run, so a waiver recorded since the last one is pending until the next
-- (report/review.sql); the failures found are never changed.
CREATE OR REPLACE TEMP TABLE failure_status_built AS
SELECT f.failure_id, f.failure_id IN (SELECT failure_id FROM quality.waivers) AS waived
FROM quality.failures_found AS f;

-- Rows replaced, the table kept (with its comments).
DELETE FROM core.failure_status;

INSERT INTO core.failure_status BY NAME FROM failure_status_built;
