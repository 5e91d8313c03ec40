-- The periods a steward has approved and locked (ops.locked_periods), built once more by
-- the run that applies the lock and frozen from the next run on: their core and district
-- rows (15: never rebuilt), completeness (30) and province figures (50) stay as published.
-- Their statuses (10) count only what was received and waived before the lock: a return
-- received later is 'held'. Reopened, they are rebuilt.
CREATE OR REPLACE TEMP TABLE frozen_periods AS
SELECT l.period
FROM ops.locked_periods AS l
JOIN ops.period_builds AS b USING (period)
WHERE l.applied_run <> $run_id;
