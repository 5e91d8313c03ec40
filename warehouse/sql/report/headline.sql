-- The province's indicators for all sectors, for the given periods, with coverage and
-- targets: what the run summary prints.
SELECT p.period, p.indicator_code, p.indicator_name_vi, p.unit, p.value, p.target,
       p.attainment_pct, p.districts_expected, p.districts_covered, p.rows_left_out
FROM mart.province_indicators AS p
JOIN ref.indicators AS i ON i.code = p.indicator_code
WHERE p.sector = 'ALL' AND list_contains($periods, p.period)
ORDER BY p.period, i.sort_order;
