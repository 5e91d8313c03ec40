-- Indicator parts of each new submission, by sector and for all sectors ('ALL').
-- Generic over the catalogue in ref.indicators: a row enters an indicator when its status
-- and sector pass the indicator's filters; it is included when its numerator measure (and
-- denominator measure, for a ratio) is present, and otherwise counted as left out.
INSERT INTO core.submission_indicators
WITH new_files AS (
    SELECT file_hash FROM incoming_submissions
),
coop_measures AS (  -- schema/40_measures.sql, generated from the catalogue
    SELECT * FROM coops_measures() SEMI JOIN new_files USING (file_hash)
),
union_measures AS (
    SELECT * FROM unions_measures() SEMI JOIN new_files USING (file_hash)
),
facts AS (
    SELECT * FROM coop_measures UNPIVOT INCLUDE NULLS (
        value FOR measure IN (COLUMNS(* EXCLUDE (source, file_hash, row_id, sector, status)))
    )
    UNION ALL BY NAME
    SELECT * FROM union_measures UNPIVOT INCLUDE NULLS (
        value FOR measure IN (COLUMNS(* EXCLUDE (source, file_hash, row_id, sector, status)))
    )
),
paired AS (
    SELECT
        i.code, i.by_sector, n.file_hash, n.sector, n.row_id,
        n.value AS num, d.value AS den,
        n.value IS NOT NULL AND (i.denominator IS NULL OR d.value IS NOT NULL) AS included
    FROM ref.indicators AS i
    JOIN facts AS n ON n.source = i.source AND n.measure = i.numerator
    LEFT JOIN facts AS d
        ON d.source = i.source AND d.measure = i.denominator
        AND d.file_hash = n.file_hash AND d.row_id = n.row_id
    WHERE (i.statuses IS NULL OR list_contains(i.statuses, n.status))
      AND (i.sectors IS NULL OR list_contains(i.sectors, n.sector))
)
SELECT
    file_hash,
    code AS indicator_code,
    CASE WHEN grouping(sector) = 1 THEN 'ALL' ELSE sector END AS sector,
    exact_sum(CASE WHEN included THEN num END) AS numerator,
    exact_sum(CASE WHEN included THEN den END) AS denominator,
    count(*) FILTER (WHERE included) AS rows_included,
    count(*) FILTER (WHERE NOT included) AS rows_left_out
FROM paired
GROUP BY GROUPING SETS ((file_hash, code, by_sector, sector), (file_hash, code, by_sector))
HAVING grouping(sector) = 1 OR (by_sector AND sector IS NOT NULL);
