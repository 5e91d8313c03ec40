-- Every failure of the run's returns that go back to their district (report/run_feedback.sql),
-- as their feedback workbooks mark them: one query for the whole run.
SELECT f.*
FROM quality.validation_failures AS f
JOIN raw.submissions AS s USING (file_hash)
WHERE s.run_id = $run_id AND s.readable
ORDER BY f.file_hash, f.sheet, f.row_number, f.cell;
