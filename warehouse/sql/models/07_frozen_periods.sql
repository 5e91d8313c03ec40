-- The periods a steward has approved and locked (ops.locked_periods) and that have been
-- built: while locked, their statuses (10), core and district rows (15: never rebuilt),
-- completeness (30) and province figures (50) stay as they were published. New returns
-- for them are still received, checked and listed ('held'). Reopened, they are rebuilt.
CREATE OR REPLACE TEMP TABLE frozen_periods AS
SELECT l.period
FROM ops.locked_periods AS l
JOIN ops.period_builds AS b USING (period);

CREATE OR REPLACE TEMP TABLE status_stored AS
SELECT s.*
FROM core.submission_status AS s
JOIN raw.submissions_received AS r USING (file_hash)
WHERE r.period IN (SELECT period FROM frozen_periods);
