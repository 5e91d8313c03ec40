-- Stock figures of a cooperative that changed by more than the check's ratio (up or
-- down) and by at least its minimum since the district's previous accepted return.
-- The fields and thresholds come from contracts/rules.py CHANGE_CHECKS ($fields and the
-- registered table change_checks).
WITH now_values AS (
    FROM (
        SELECT pr.file_hash, pr.previous_hash, pr.previous_period, r.coop_id, r.source_row,
               COLUMNS(lambda c: list_contains($fields, c))::DOUBLE
        FROM previous_returns AS pr
        JOIN raw.coop_rows AS r ON r.file_hash = pr.file_hash
    )
    UNPIVOT (now FOR field IN (COLUMNS(lambda c: list_contains($fields, c))))
),
previous_values AS (
    FROM (
        SELECT r.file_hash AS previous_hash, r.coop_id,
               COLUMNS(lambda c: list_contains($fields, c))::DOUBLE
        FROM raw.coop_rows AS r
        WHERE r.file_hash IN (SELECT previous_hash FROM previous_returns)
    )
    UNPIVOT (prev FOR field IN (COLUMNS(lambda c: list_contains($fields, c))))
)
SELECT n.file_hash, n.previous_period, n.coop_id, n.source_row, n.field, n.now, p.prev,
       greatest(n.now, p.prev) / nullif(least(n.now, p.prev), 0) AS ratio
FROM now_values AS n
JOIN previous_values AS p USING (previous_hash, coop_id, field)
JOIN change_checks AS c ON c.field = n.field
WHERE abs(n.now - p.prev) >= c.minimum
  AND (least(n.now, p.prev) <= 0 OR greatest(n.now, p.prev) / least(n.now, p.prev) > c.ratio)
ORDER BY n.file_hash, n.source_row, n.field;
