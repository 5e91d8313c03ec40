-- Union rows of the current accepted return of each district and period.
DELETE FROM core.union_returns;
INSERT INTO core.union_returns BY NAME
SELECT s.period, s.district_code, r.*
FROM raw.union_rows AS r
JOIN raw.submissions AS s USING (file_hash)
WHERE s.status = 'accepted';
