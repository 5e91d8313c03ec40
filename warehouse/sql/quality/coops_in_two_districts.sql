-- Cooperative codes of a new return that another district also reports for the same
-- period: in its accepted return, or in a new return of this run that arrived earlier.
WITH new_rows AS (
    SELECT s.file_hash, s.district_code, s.period, s.received_at, r.coop_id, r.source_row
    FROM incoming_submissions AS s
    JOIN raw.coop_rows AS r USING (file_hash)
    WHERE s.district_code IS NOT NULL AND s.period IS NOT NULL AND r.coop_id IS NOT NULL
),
others AS (
    SELECT s.file_hash, s.file_name, s.district_code, s.period, s.received_at,
           s.status, r.coop_id, r.source_row
    FROM raw.submissions AS s
    JOIN raw.coop_rows AS r USING (file_hash)
    WHERE s.status = 'accepted' OR s.file_hash IN (SELECT file_hash FROM incoming_submissions)
)
SELECT
    n.file_hash, n.coop_id, n.source_row, n.period,
    o.district_code AS other_district, o.file_name AS other_file, o.source_row AS other_row
FROM new_rows AS n
JOIN others AS o
    ON o.coop_id = n.coop_id AND o.period = n.period AND o.district_code <> n.district_code
WHERE o.status = 'accepted'
   OR (o.received_at, o.file_hash) < (n.received_at, n.file_hash)
ORDER BY n.file_hash, n.source_row, other_district;
