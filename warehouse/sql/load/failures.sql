-- Failures found while reading and checking new files (the same failure twice is one row).
INSERT OR IGNORE INTO quality.validation_failures BY NAME
SELECT * FROM incoming_failures;
