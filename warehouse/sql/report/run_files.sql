-- The files a run processed, with their verdict.
SELECT file_name, district_code, u.name AS district_name, period, version, status,
       errors, warnings, received_at, file_hash
FROM raw.submissions AS s
LEFT JOIN ref.reporting_units AS u ON u.code = s.district_code
WHERE s.run_id = $run_id
ORDER BY district_code NULLS LAST, file_name;
