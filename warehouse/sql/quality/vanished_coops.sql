-- Cooperatives of the district's previous accepted return, not dissolved there, that a
-- new return (whose roster was read) no longer lists.
SELECT pr.file_hash, prev.coop_id, prev.name, pr.previous_period
FROM previous_returns AS pr
JOIN raw.coop_rows AS prev ON prev.file_hash = pr.previous_hash
WHERE prev.status IS DISTINCT FROM 'GT'
  AND pr.file_hash IN (SELECT file_hash FROM raw.coop_rows)
  AND NOT EXISTS (
      SELECT 1 FROM raw.coop_rows AS now
      WHERE now.file_hash = pr.file_hash AND now.coop_id = prev.coop_id)
ORDER BY pr.file_hash, prev.coop_id;
