-- What the rebuilt periods were built from, for the next run's 15_changed_periods.sql.
INSERT OR REPLACE INTO ops.period_builds
SELECT d.period, d.reference_digest, d.models_digest, $built_at, $run_id
FROM period_digests AS d
WHERE d.period IN (SELECT period FROM changed_periods);
