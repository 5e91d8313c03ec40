-- Whether a period was built with other SQL models than the current ones ($models_digest):
-- then the tables the models define by their query are dropped first (drop_rebuilt.sql),
-- so a column a new version adds or removes takes effect. A locked period keeps the models
-- it was built with until it is reopened (models/07_frozen_periods.sql).
SELECT count(*) > 0 AS changed
FROM ops.period_builds
WHERE models_digest <> $models_digest
  AND period NOT IN (SELECT period FROM ops.locked_periods WHERE applied_run <> $run_id);
