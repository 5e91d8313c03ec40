-- Whether the warehouse was written before statuses were derived by the models: then
-- raw.submissions and quality.validation_failures are tables holding them (views now,
-- schema/50_public_views.sql), and builds/derive_statuses.sql converts it.
SELECT count(*) > 0 AS stored
FROM duckdb_tables()
WHERE NOT internal AND database_name = current_database()
  AND schema_name || '.' || table_name IN ('raw.submissions', 'quality.validation_failures');
