-- How many tables and columns of the documented schemas have no comment yet (a table the
-- models have just made): when any, generated/comments.sql is run again.
SELECT
    (SELECT count(*) FROM duckdb_tables()
     WHERE schema_name IN ('ref', 'raw', 'quality', 'core', 'mart', 'ops')
       AND comment IS NULL)
    + (SELECT count(*) FROM duckdb_columns()
       WHERE schema_name IN ('ref', 'raw', 'quality', 'core', 'mart', 'ops')
         AND comment IS NULL) AS missing;
