-- Runs whose feedback workbooks and report are now all written: completed.
UPDATE ops.runs SET outcome = 'completed'
WHERE run_id IN (SELECT unnest($run_ids::VARCHAR[])) AND outcome = 'outputs_owed';
