-- Validation failures with their file's name and status, filtered as the portal asks.
SELECT f.failure_id, f.file_hash AS submission_id, f.district_code, f.period, f.sheet,
       f.cell, f.rule_code, f.severity, f.value_found, f.message_vi, f.waived,
       s.file_name, s.status AS file_status
FROM quality.validation_failures AS f
JOIN raw.submissions AS s USING (file_hash)
WHERE ($period::VARCHAR IS NULL OR f.period = $period)
  AND ($district::VARCHAR IS NULL OR f.district_code = $district)
  AND ($severity::VARCHAR IS NULL OR f.severity = $severity)
  AND ($rule::VARCHAR IS NULL OR f.rule_code = $rule)
  AND ($id::VARCHAR IS NULL OR f.file_hash = $id)
  AND ($failure::VARCHAR IS NULL OR f.failure_id = $failure)
ORDER BY f.district_code, f.period, f.severity, f.sheet, f.row_number, f.cell;
