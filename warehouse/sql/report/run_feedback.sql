-- Returns of a run that go back to their district with their cells marked: rejected, or
-- accepted with warnings (unreadable files have no cells to mark).
SELECT s.file_hash, s.file_name, s.archived_path, s.district_code, u.name AS district_name,
       s.period, s.status
FROM raw.submissions AS s
LEFT JOIN ref.reporting_units AS u ON u.code = s.district_code
WHERE s.run_id = $run_id AND s.readable
  AND (s.status = 'rejected' OR s.warnings > 0)
ORDER BY s.district_code NULLS LAST, s.file_name;
