-- Validation failures for stewards, one district's problems together, errors first. A
-- failure waived since the last run is `waiver_recorded` but not yet `waived` (the next
-- run re-evaluates its return).
SELECT f.district_code, u.name AS district_name, f.period, s.file_name, s.version,
       s.status AS file_status, f.cell, f.rule_code, f.severity, f.value_found,
       f.message_vi, f.message_en, f.failure_id, f.waived,
       w.failure_id IS NOT NULL AS waiver_recorded, w.waived_by, w.waived_at
FROM quality.validation_failures AS f
JOIN raw.submissions AS s USING (file_hash)
LEFT JOIN ref.reporting_units AS u ON u.code = f.district_code
LEFT JOIN quality.waivers AS w ON w.failure_id = f.failure_id
WHERE ($district::VARCHAR IS NULL OR f.district_code = $district)
  AND ($period::VARCHAR IS NULL OR f.period = $period)
  AND ($severity::VARCHAR IS NULL OR f.severity = $severity)
  AND ($rule::VARCHAR IS NULL OR f.rule_code = $rule)
ORDER BY f.district_code NULLS LAST, f.period, s.received_at, f.severity, f.sheet,
         f.row_number, f.cell;
