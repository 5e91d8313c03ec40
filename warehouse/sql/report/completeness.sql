-- Completeness for the given periods.
SELECT period, district_code, district_name, expected, status, latest_status,
       accepted_version, first_received_at, deadline, on_time
FROM mart.completeness
WHERE list_contains($periods, period)
ORDER BY period, district_code;
