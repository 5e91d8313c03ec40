-- Indicator values for all sectors: the province's, or one district's.
SELECT period, indicator_code, indicator_name_vi, unit, value, target, attainment_pct,
       rows_left_out, districts_expected, districts_covered, NULL AS district_code
FROM mart.province_indicators
WHERE $district::VARCHAR IS NULL AND sector = 'ALL'
  AND ($period::VARCHAR IS NULL OR period = $period)
UNION ALL BY NAME
SELECT period, indicator_code, indicator_name_vi, unit, value, target, attainment_pct,
       rows_left_out, NULL AS districts_expected, NULL AS districts_covered, district_code
FROM mart.district_indicators
WHERE district_code = $district AND sector = 'ALL'
  AND ($period::VARCHAR IS NULL OR period = $period)
ORDER BY period, indicator_code;
