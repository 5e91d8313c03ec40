-- How many tables, views and columns of the warehouse's own schemas (schema/00_schemas.sql)
-- have no comment yet (a table the models have just made): when any, generated/comments.sql
-- is run again.
SELECT
    (SELECT count(*) FROM duckdb_tables()
     WHERE NOT internal AND schema_name <> 'main' AND comment IS NULL)
    + (SELECT count(*) FROM duckdb_views()
       WHERE NOT internal AND schema_name <> 'main' AND comment IS NULL)
    + (SELECT count(*) FROM duckdb_columns()
       WHERE NOT internal AND schema_name <> 'main' AND comment IS NULL) AS missing;
