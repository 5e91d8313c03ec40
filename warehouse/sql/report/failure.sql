-- One validation failure, by its id.
SELECT * FROM quality.validation_failures WHERE failure_id = $failure_id;
