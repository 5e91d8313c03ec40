-- The period that ended last among those with a submission (for a run that brought
-- nothing new).
SELECT p.code AS period
FROM ref.periods AS p
WHERE p.code IN (SELECT period FROM raw.submissions)
ORDER BY p.end_date DESC, p.start_date DESC
LIMIT 1;
