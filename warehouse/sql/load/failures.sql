-- Failures found while reading and checking new files (the same failure twice is one row);
-- whether one is waived is derived by models/05_failure_status.sql.
INSERT OR IGNORE INTO quality.failures_found BY NAME
SELECT * FROM incoming_failures;
