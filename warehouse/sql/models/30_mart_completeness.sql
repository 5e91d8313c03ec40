-- Grain: period × district. Who was expected to report, who did, and what stands.
-- Expected: units with a parent, valid on the period's last day. On time: an accepted
-- return stands and the district's first submission for the period arrived by the deadline.
CREATE OR REPLACE TEMP TABLE completeness_rebuilt AS
WITH expected AS (
    SELECT p.code AS period, u.code AS district_code
    FROM ref.periods AS p
    JOIN ref.reporting_units AS u
        ON u.parent_code IS NOT NULL
        AND u.valid_from <= p.end_date
        AND coalesce(u.valid_to, DATE '9999-12-31') >= p.end_date
),
received AS (
    SELECT
        period, district_code,
        count(*) AS submissions,
        min(received_at) AS first_received_at,
        max(received_at) AS last_received_at,
        any_value(file_hash) FILTER (WHERE status = 'accepted') AS accepted_file_hash,
        any_value(version) FILTER (WHERE status = 'accepted') AS accepted_version,
        arg_max(status, version) AS latest_status
    FROM raw.submissions
    WHERE district_code IS NOT NULL AND period IS NOT NULL
      AND status IS DISTINCT FROM 'held'  -- received after the period was approved
    GROUP BY period, district_code
),
joined AS (
    SELECT
        coalesce(e.period, r.period) AS period,
        coalesce(e.district_code, r.district_code) AS district_code,
        e.district_code IS NOT NULL AS expected,
        r.*  EXCLUDE (period, district_code)
    FROM expected AS e
    FULL JOIN received AS r
        ON r.period = e.period AND r.district_code = e.district_code
)
SELECT
    j.period,
    j.district_code,
    u.name AS district_name,
    j.expected,
    j.submissions IS NOT NULL AS received,
    coalesce(j.submissions, 0) AS submissions,
    CASE
        WHEN j.accepted_file_hash IS NOT NULL THEN 'accepted'
        WHEN j.submissions IS NULL THEN 'missing'
        ELSE 'rejected'
    END AS status,
    j.latest_status,
    j.accepted_file_hash,
    j.accepted_version,
    j.first_received_at,
    j.last_received_at,
    p.deadline,
    coalesce(j.accepted_file_hash IS NOT NULL
             AND timezone($time_zone, j.first_received_at)::DATE <= p.deadline, false)
        AS on_time
FROM joined AS j
LEFT JOIN ref.reporting_units AS u ON u.code = j.district_code
LEFT JOIN ref.periods AS p ON p.code = j.period
ORDER BY j.period, j.district_code;

-- Rows replaced, the table kept (with its comments).
CREATE TABLE IF NOT EXISTS mart.completeness AS FROM completeness_rebuilt LIMIT 0;

-- A locked period's rows stay as they were published (07_frozen_periods.sql).
DELETE FROM mart.completeness WHERE period NOT IN (SELECT period FROM frozen_periods);

INSERT INTO mart.completeness BY NAME
FROM completeness_rebuilt WHERE period NOT IN (SELECT period FROM frozen_periods);
