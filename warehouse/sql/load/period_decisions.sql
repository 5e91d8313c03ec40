-- Stewards' lock and reopen decisions (incoming_decisions), each recorded once: a decision
-- taken again by a run after one that died before saying so is already here.
INSERT INTO ops.period_decisions BY NAME
SELECT d.*, $run_id AS applied_run
FROM incoming_decisions AS d
WHERE d.decision_id NOT IN (SELECT decision_id FROM ops.period_decisions);
