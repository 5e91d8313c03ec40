-- Returns of a run that go back to their district with their cells marked: every readable
-- new file with a failure, that is every rejected or flagged one (a new file's failures are
-- new, so none is waived yet; unreadable files have no cells to mark). Read before the
-- statuses are set, so that the workbooks are written while the marts are built.
SELECT s.file_hash, s.file_name, s.archived_path, s.district_code, u.name AS district_name,
       s.period
FROM raw.submissions AS s
LEFT JOIN ref.reporting_units AS u ON u.code = s.district_code
WHERE s.run_id = $run_id AND s.readable
  AND EXISTS (SELECT 1 FROM quality.validation_failures AS f WHERE f.file_hash = s.file_hash)
ORDER BY s.district_code NULLS LAST, s.file_name;
