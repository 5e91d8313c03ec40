-- A warehouse written before statuses were derived kept them in its raw and quality rows
-- (the models updated raw.submissions and quality.validation_failures). Every row moves:
-- what was received and found to the base tables, the statuses and waivers as the last
-- run left them to the models' tables; the old tables go and their names become views
-- showing the same rows and columns (schema/50_public_views.sql, run next). All or
-- nothing.
BEGIN TRANSACTION;

INSERT INTO raw.submissions_received BY NAME
SELECT * EXCLUDE (version, status, errors, warnings) FROM raw.submissions;

-- a file loaded but never given a status (none in a published warehouse) stays without one
INSERT INTO core.submission_status BY NAME
SELECT file_hash, version, status, errors, warnings
FROM raw.submissions
WHERE status IS NOT NULL;

INSERT INTO quality.failures_found BY NAME
SELECT * EXCLUDE (waived) FROM quality.validation_failures;

INSERT INTO core.failure_status BY NAME
SELECT failure_id, waived FROM quality.validation_failures;

DROP TABLE raw.submissions;

DROP TABLE quality.validation_failures;

COMMIT;
