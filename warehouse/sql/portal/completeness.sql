-- The completeness board: units × periods.
SELECT period, district_code, district_name, expected, received, submissions, status,
       latest_status, accepted_version, first_received_at, deadline, on_time
FROM mart.completeness ORDER BY period DESC, district_code;
