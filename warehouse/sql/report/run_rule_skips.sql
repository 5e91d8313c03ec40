-- Row rules that skipped rows of a run's files because an operand was missing.
SELECT c.rule_code, sum(c.rows_skipped)::BIGINT AS rows_skipped,
       sum(c.rows_checked)::BIGINT AS rows_checked,
       count(DISTINCT c.file_hash) AS files
FROM quality.rule_checks AS c
JOIN raw.submissions AS s USING (file_hash)
WHERE s.run_id = $run_id AND c.rows_skipped > 0
GROUP BY c.rule_code
ORDER BY c.rule_code;
