-- For each new return, the district's previous accepted return: the one whose period
-- ended last before this period ended. Kept for the other cross-period checks.
CREATE OR REPLACE TEMP TABLE previous_returns AS
SELECT n.file_hash, p.file_hash AS previous_hash, p.period AS previous_period
FROM incoming_submissions AS n
JOIN ref.periods AS np ON np.code = n.period
JOIN raw.submissions AS p
    ON p.district_code = n.district_code AND p.status = 'accepted'
JOIN ref.periods AS pp ON pp.code = p.period AND pp.end_date < np.end_date
QUALIFY row_number() OVER (PARTITION BY n.file_hash
                           ORDER BY pp.end_date DESC, pp.start_date DESC) = 1;
