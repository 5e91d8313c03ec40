-- The returns whose waivers this run applied first (waivers recorded since the previous
-- run started): their status now, and how many errors remain unwaived.
SELECT s.file_name, s.district_code, s.period, s.status,
       count(DISTINCT w.failure_id) AS waivers,
       (SELECT count(*) FROM quality.validation_failures AS f
        WHERE f.file_hash = s.file_hash AND f.severity = 'error' AND NOT f.waived)
           AS errors_left
FROM quality.waivers AS w
JOIN raw.submissions AS s USING (file_hash)
WHERE w.waived_at < $started_at
  AND w.waived_at >= coalesce((SELECT max(started_at) FROM ops.runs
                               WHERE started_at < $started_at), TIMESTAMP '1900-01-01')
GROUP BY ALL
ORDER BY s.district_code NULLS LAST, s.file_name;
