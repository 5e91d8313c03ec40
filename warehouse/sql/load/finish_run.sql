-- The run's own record, counted from what it loaded.
INSERT OR REPLACE INTO ops.runs
SELECT
    $run_id, $flow_run_id, $started_at, $finished_at, $files_seen, $files_new,
    count(*) FILTER (WHERE status IN ('accepted', 'superseded')),
    count(*) FILTER (WHERE status = 'rejected'),
    count(*) FILTER (WHERE status = 'unreadable'),
    'completed'
FROM raw.submissions
WHERE run_id = $run_id;
