-- The periods whose core and district rows are rebuilt by this run (the rest are kept as
-- they are, so a night's work grows with what is new, not with what is stored):
--   a file's status changed in the period (a new file, a correction, a waiver), or
--   what the period is built from changed since its last build (ops.period_builds): the
--   shared reference data (units, sectors, indicators, targets), the period's own row in
--   ref.periods (its deadline), or the SQL schema and models with their macros
--   ($models_digest), or it was never built;
-- and it is not locked (07_frozen_periods.sql).
CREATE OR REPLACE TEMP TABLE period_digests AS
WITH shared AS (
    SELECT md5(string_agg(line, chr(10) ORDER BY line)) AS digest
    FROM (
        SELECT 'reporting_units ' || CAST(t AS VARCHAR) AS line FROM ref.reporting_units AS t
        UNION ALL SELECT 'sectors ' || CAST(t AS VARCHAR) FROM ref.sectors AS t
        UNION ALL SELECT 'indicators ' || CAST(t AS VARCHAR) FROM ref.indicators AS t
        UNION ALL SELECT 'targets ' || CAST(t AS VARCHAR) FROM ref.targets AS t
    )
)
SELECT p.code AS period, md5(shared.digest || chr(10) || CAST(p AS VARCHAR)) AS reference_digest,
       $models_digest AS models_digest
FROM ref.periods AS p, shared;

CREATE OR REPLACE TEMP TABLE changed_periods AS
SELECT period FROM (
    SELECT s.period
    FROM raw.submissions AS s
    LEFT JOIN status_before AS b USING (file_hash)
    WHERE s.period IS NOT NULL AND s.status IS DISTINCT FROM b.status
    UNION
    SELECT d.period
    FROM period_digests AS d
    LEFT JOIN ops.period_builds AS b USING (period)
    WHERE b.period IS NULL
       OR b.reference_digest <> d.reference_digest
       OR b.models_digest <> d.models_digest
)
EXCEPT
SELECT period FROM frozen_periods;
