-- The run's own record, counted from what it loaded. It is published owing its outputs
-- (feedback workbooks, report) until they are written (load/outputs_written.sql).
INSERT OR REPLACE INTO ops.runs
SELECT
    $run_id, $flow_run_id, $started_at, $finished_at, $files_seen, $files_new,
    count(*) FILTER (WHERE status IN ('accepted', 'superseded')),
    count(*) FILTER (WHERE status = 'rejected'),
    count(*) FILTER (WHERE status = 'unreadable'),
    'outputs_owed',
    count(*) FILTER (WHERE status = 'held')
FROM raw.submissions
WHERE run_id = $run_id;
