-- Roster rows of the current accepted return of each district and period.
DELETE FROM core.coop_returns;
INSERT INTO core.coop_returns BY NAME
SELECT s.period, s.district_code, r.*
FROM raw.coop_rows AS r
JOIN raw.submissions AS s USING (file_hash)
WHERE s.status = 'accepted';
