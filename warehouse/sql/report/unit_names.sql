-- Reporting units' names, to name them in messages.
SELECT code, name FROM ref.reporting_units;
