-- A failure is waived when a steward's waiver names it (a waiver applies to that failure
-- of that file version only: a new version has new failure ids).
UPDATE quality.validation_failures
SET waived = failure_id IN (SELECT failure_id FROM quality.waivers);
