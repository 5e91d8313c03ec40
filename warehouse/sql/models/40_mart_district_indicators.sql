-- Grain: period × district × indicator × sector. Every catalogue indicator for each
-- district with an accepted return (and the reporting-unit indicators for every expected
-- district), with the parts it is computed from, its target and attainment.
-- Built for the periods of 15_changed_periods.sql only; the other periods' rows are kept.
CREATE OR REPLACE TEMP TABLE district_indicators_rebuilt AS
WITH current_returns AS (
    SELECT period, district_code, accepted_file_hash AS file_hash
    FROM mart.completeness
    WHERE status = 'accepted' AND period IN (SELECT period FROM changed_periods)
),
sectors AS (
    SELECT 'ALL' AS sector
    UNION ALL
    SELECT code FROM ref.sectors
),
grid AS (
    -- every indicator × sector a covered district reports, so an absent sector shows 0
    SELECT c.period, c.district_code, c.file_hash, i.code AS indicator_code, s.sector
    FROM current_returns AS c
    CROSS JOIN ref.indicators AS i
    CROSS JOIN sectors AS s
    WHERE i.source IN ('coops', 'unions')
      AND (s.sector = 'ALL'
           OR (i.by_sector AND (i.sectors IS NULL OR list_contains(i.sectors, s.sector))))
),
return_parts AS (
    SELECT
        g.period, g.district_code, g.indicator_code, g.sector, g.file_hash,
        coalesce(si.numerator, 0) AS numerator,
        si.denominator,
        coalesce(si.rows_included, 0) AS rows_included,
        coalesce(si.rows_left_out, 0) AS rows_left_out
    FROM grid AS g
    LEFT JOIN core.submission_indicators AS si
        ON si.file_hash = g.file_hash
        AND si.indicator_code = g.indicator_code
        AND si.sector = g.sector
),
unit_measures AS (
    SELECT
        period, district_code, accepted_file_hash AS file_hash,
        1.0 AS one,
        (status = 'accepted')::DOUBLE AS accepted,
        on_time::DOUBLE AS on_time
    FROM mart.completeness
    WHERE expected AND period IN (SELECT period FROM changed_periods)
),
unit_facts AS (
    UNPIVOT unit_measures
    ON COLUMNS(* EXCLUDE (period, district_code, file_hash))
    INTO NAME measure VALUE value
),
unit_parts AS (
    SELECT
        n.period, n.district_code, i.code AS indicator_code, 'ALL' AS sector, n.file_hash,
        n.value AS numerator, d.value AS denominator, 1 AS rows_included, 0 AS rows_left_out
    FROM ref.indicators AS i
    JOIN unit_facts AS n ON i.source = 'units' AND n.measure = i.numerator
    JOIN unit_facts AS d
        ON d.measure = i.denominator
        AND d.period = n.period AND d.district_code = n.district_code
),
parts AS (
    SELECT * FROM return_parts
    UNION ALL BY NAME
    SELECT * FROM unit_parts
)
SELECT
    p.period,
    p.district_code,
    u.name AS district_name,
    p.indicator_code,
    i.name_vi AS indicator_name_vi,
    i.unit,
    p.sector,
    indicator_value(p.numerator, p.denominator, i.denominator IS NOT NULL, i.scale,
                    p.rows_included, p.rows_left_out) AS value,
    p.numerator,
    p.denominator,
    p.rows_included,
    p.rows_left_out,
    t.target,
    100.0 * indicator_value(p.numerator, p.denominator, i.denominator IS NOT NULL, i.scale,
                            p.rows_included, p.rows_left_out) / NULLIF(t.target, 0)
        AS attainment_pct,
    p.file_hash
FROM parts AS p
JOIN ref.indicators AS i ON i.code = p.indicator_code
LEFT JOIN ref.reporting_units AS u ON u.code = p.district_code
LEFT JOIN ref.targets AS t
    ON t.period = p.period AND t.unit_code = p.district_code
    AND t.indicator_code = p.indicator_code AND p.sector = 'ALL'
ORDER BY p.period, p.district_code, i.sort_order, p.sector;

CREATE TABLE IF NOT EXISTS mart.district_indicators AS
FROM district_indicators_rebuilt LIMIT 0;

DELETE FROM mart.district_indicators WHERE period IN (SELECT period FROM changed_periods);

INSERT INTO mart.district_indicators BY NAME
FROM district_indicators_rebuilt;
