-- The last 50 runs, newest first.
SELECT run_id, started_at, finished_at, files_seen, files_new, files_accepted,
       files_rejected, files_unreadable, outcome
FROM ops.runs ORDER BY started_at DESC LIMIT 50;
