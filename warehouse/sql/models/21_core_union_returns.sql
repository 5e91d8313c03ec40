-- Union rows of the current accepted return of each district and period (the
-- periods of 15_changed_periods.sql).
DELETE FROM core.union_returns WHERE period IN (SELECT period FROM changed_periods);
INSERT INTO core.union_returns BY NAME
SELECT s.period, s.district_code, r.*
FROM raw.union_rows AS r
JOIN raw.submissions AS s USING (file_hash)
WHERE s.status = 'accepted' AND s.period IN (SELECT period FROM changed_periods);
