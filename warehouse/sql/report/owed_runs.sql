-- Runs that published their warehouse but whose feedback workbooks or report are not yet
-- all written (killed, folder not writable, disk full): the next run writes them.
SELECT * FROM ops.runs WHERE outcome = 'outputs_owed' ORDER BY started_at, run_id;
