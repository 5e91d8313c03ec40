-- How many rows each row rule checked in each new file, and how many it skipped because
-- an operand was missing (a missing value is never taken as zero).
INSERT INTO quality.rule_checks BY NAME
SELECT * FROM incoming_rule_checks;
