-- Returns as the portal lists them: one row per file, newest period first.
SELECT file_hash AS submission_id, file_name, district_code, period, version, status,
       received_at, errors, warnings
FROM raw.submissions
WHERE ($period::VARCHAR IS NULL OR period = $period)
  AND ($district::VARCHAR IS NULL OR district_code = $district)
  AND ($id::VARCHAR IS NULL OR file_hash = $id)
ORDER BY period DESC NULLS LAST, district_code, version, received_at;
