-- Reporting units, code and name.
SELECT code, name FROM ref.reporting_units ORDER BY code;
