-- The tables whose columns the models' own queries define: dropped when the models
-- change, so that they are made again in their new shape, and every period rebuilt (its
-- build forgotten, for models/15_changed_periods.sql). The
-- rows of locked periods are kept aside first and put back once the models have run
-- (restore_frozen.sql): a locked period's published figures never change.
CREATE OR REPLACE TEMP TABLE frozen_aside AS  -- as models/07_frozen_periods.sql has them
SELECT l.period
FROM ops.locked_periods AS l
JOIN ops.period_builds AS b USING (period)
WHERE l.applied_run <> $run_id;
CREATE OR REPLACE TEMP TABLE completeness_aside AS
FROM mart.completeness WHERE period IN (SELECT period FROM frozen_aside);
CREATE OR REPLACE TEMP TABLE district_indicators_aside AS
FROM mart.district_indicators WHERE period IN (SELECT period FROM frozen_aside);
CREATE OR REPLACE TEMP TABLE province_indicators_aside AS
FROM mart.province_indicators WHERE period IN (SELECT period FROM frozen_aside);
DROP TABLE IF EXISTS mart.completeness;
DROP TABLE IF EXISTS mart.district_indicators;
DROP TABLE IF EXISTS mart.province_indicators;
DELETE FROM ops.period_builds WHERE period NOT IN (SELECT period FROM frozen_aside);
