-- The cross-return failures already found for a file the warehouse knows (a portal upload
-- of a file sent before is answered with what was found then).
SELECT * EXCLUDE (waived) FROM quality.validation_failures
WHERE file_hash = $file_hash AND list_contains($rules, rule_code);
