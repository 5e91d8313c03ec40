-- Roster rows of the current accepted return of each district and period (the
-- periods of 15_changed_periods.sql).
DELETE FROM core.coop_returns WHERE period IN (SELECT period FROM changed_periods);
INSERT INTO core.coop_returns BY NAME
SELECT s.period, s.district_code, r.*
FROM raw.coop_rows AS r
JOIN raw.submissions AS s USING (file_hash)
WHERE s.status = 'accepted' AND s.period IN (SELECT period FROM changed_periods);
