-- One run's record.
SELECT * FROM ops.runs WHERE run_id = $run_id;
