-- Failures of the files a run processed, errors first.
SELECT s.file_name, f.district_code, f.period, f.cell, f.rule_code, f.severity,
       f.value_found, f.message_vi, f.message_en, f.failure_id, f.waived
FROM quality.validation_failures AS f
JOIN raw.submissions AS s USING (file_hash)
WHERE s.run_id = $run_id
ORDER BY f.severity, f.district_code NULLS LAST, s.file_name, f.sheet, f.row_number, f.cell;
