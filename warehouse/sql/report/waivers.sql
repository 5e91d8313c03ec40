-- Waivers on returns of the given periods.
SELECT w.failure_id, s.file_name, w.district_code, w.period, w.rule_code, w.cell,
       w.reason, w.waived_by, w.waived_at, f.message_vi, s.status AS file_status
FROM quality.waivers AS w
JOIN raw.submissions AS s USING (file_hash)
LEFT JOIN quality.validation_failures AS f USING (failure_id)
WHERE list_contains($periods, w.period)
ORDER BY w.waived_at, w.failure_id;
