-- Grain: period × indicator × sector. The province's value of every catalogue indicator,
-- recomputed from the districts' summed parts (never an average of their values), with
-- its coverage (districts expected and covered), target and attainment.
CREATE OR REPLACE TEMP TABLE province_indicators_rebuilt AS
WITH province AS (
    SELECT code, name FROM ref.reporting_units WHERE parent_code IS NULL
),
coverage AS (
    SELECT
        period,
        count(*) FILTER (WHERE expected) AS districts_expected,
        count(*) FILTER (WHERE expected AND status = 'accepted') AS districts_covered
    FROM mart.completeness
    GROUP BY period
),
summed AS (
    SELECT
        period, indicator_code, sector,
        exact_sum(numerator) AS numerator,
        exact_sum(denominator) AS denominator,
        sum(rows_included) AS rows_included,
        sum(rows_left_out) AS rows_left_out
    FROM mart.district_indicators
    GROUP BY period, indicator_code, sector
)
SELECT
    s.period,
    pr.code AS province_code,
    s.indicator_code,
    i.name_vi AS indicator_name_vi,
    i.unit,
    s.sector,
    indicator_value(s.numerator, s.denominator, i.denominator IS NOT NULL, i.scale,
                    s.rows_included, s.rows_left_out) AS value,
    s.numerator,
    s.denominator,
    s.rows_included,
    s.rows_left_out,
    c.districts_expected,
    c.districts_covered,
    t.target,
    100.0 * indicator_value(s.numerator, s.denominator, i.denominator IS NOT NULL, i.scale,
                            s.rows_included, s.rows_left_out) / NULLIF(t.target, 0)
        AS attainment_pct
FROM summed AS s
JOIN ref.indicators AS i ON i.code = s.indicator_code
CROSS JOIN province AS pr
LEFT JOIN coverage AS c ON c.period = s.period
LEFT JOIN ref.targets AS t
    ON t.period = s.period AND t.unit_code = pr.code
    AND t.indicator_code = s.indicator_code AND s.sector = 'ALL'
ORDER BY s.period, i.sort_order, s.sector;

-- Rows replaced, the table kept (with its comments).
CREATE TABLE IF NOT EXISTS mart.province_indicators AS FROM province_indicators_rebuilt LIMIT 0;

-- A locked period's rows stay as they were published (07_frozen_periods.sql).
DELETE FROM mart.province_indicators WHERE period NOT IN (SELECT period FROM frozen_periods);

INSERT INTO mart.province_indicators BY NAME
FROM province_indicators_rebuilt WHERE period NOT IN (SELECT period FROM frozen_periods);
