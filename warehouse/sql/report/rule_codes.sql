-- The rule codes of the catalogue and of the failures recorded (older codes stay listed).
SELECT code AS rule_code FROM ref.rules
UNION
SELECT DISTINCT rule_code FROM quality.validation_failures;
