-- Cooperative codes of a new return that another district also reports for the same
-- period: in its accepted return, or in a new return of this run that arrived earlier.
-- The codes two districts share are found first by grouping, so that the pairing below
-- only ever sees those few rows (joining every row on period first costs minutes at
-- national scale).
WITH candidates AS (
    SELECT s.file_hash, s.file_name, s.district_code, s.period, s.received_at, s.status,
           r.coop_id, r.source_row,
           s.file_hash IN (SELECT file_hash FROM incoming_submissions) AS is_new
    FROM raw.submissions AS s
    JOIN raw.coop_rows AS r USING (file_hash)
    WHERE s.district_code IS NOT NULL AND r.coop_id IS NOT NULL
      AND s.period IN (SELECT period FROM incoming_submissions)
      AND (s.status = 'accepted' OR s.file_hash IN (SELECT file_hash FROM incoming_submissions))
),
shared AS (
    SELECT period, coop_id
    FROM candidates
    GROUP BY period, coop_id
    HAVING count(DISTINCT district_code) > 1
),
shared_rows AS (
    SELECT c.* FROM candidates AS c SEMI JOIN shared USING (period, coop_id)
)
SELECT
    n.file_hash, n.coop_id, n.source_row, n.period,
    o.district_code AS other_district, o.file_name AS other_file, o.source_row AS other_row
FROM shared_rows AS n
JOIN shared_rows AS o
    ON o.coop_id = n.coop_id AND o.period = n.period AND o.district_code <> n.district_code
WHERE n.is_new
  AND (o.status = 'accepted'
       OR (o.is_new AND (o.received_at, o.file_hash) < (n.received_at, n.file_hash)))
ORDER BY n.file_hash, n.source_row, other_district;
