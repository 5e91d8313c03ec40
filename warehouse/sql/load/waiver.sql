-- A steward accepts one failure: recorded with who, when and why. The failure's return is
-- re-evaluated by the next run (models/05_failure_status.sql, 10_submission_status.sql).
INSERT INTO quality.waivers
SELECT f.failure_id, f.file_hash, f.district_code, f.period, f.rule_code, f.cell,
       $reason, $waived_by, $waived_at
FROM quality.failures_found AS f
WHERE f.failure_id = $failure_id;
