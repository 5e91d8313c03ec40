-- Every district's value of every indicator (all sectors) for the given periods: the
-- report's charts by district.
SELECT period, district_code, district_name, indicator_code, indicator_name_vi, unit, value,
       target, attainment_pct
FROM mart.district_indicators
WHERE sector = 'ALL' AND list_contains($periods, period)
ORDER BY period, indicator_code, district_code;
