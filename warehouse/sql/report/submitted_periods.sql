-- The periods with at least one return in the warehouse.
SELECT DISTINCT period FROM raw.submissions WHERE period IS NOT NULL;
