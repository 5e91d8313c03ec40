-- Unions already known to the warehouse: listed by any accepted return.
SELECT DISTINCT u.union_id
FROM raw.union_rows AS u
JOIN raw.submissions AS s USING (file_hash)
WHERE s.status IN ('accepted', 'superseded') AND u.union_id IS NOT NULL;
