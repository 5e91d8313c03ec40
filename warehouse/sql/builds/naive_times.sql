-- Columns of the warehouse's tables still holding times without their zone (TIMESTAMP):
-- a warehouse written before times were stored as instants (TIMESTAMPTZ).
SELECT schema_name, table_name, column_name
FROM duckdb_columns()
WHERE data_type = 'TIMESTAMP' AND NOT internal
  AND database_name = current_database()
  AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE NOT internal)
ORDER BY ALL;
