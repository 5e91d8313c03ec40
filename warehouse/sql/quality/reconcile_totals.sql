-- Figures a new return declares in Tong_hop that differ from the same indicator computed
-- from its own roster. A declared figure rounded to a whole unit is accepted.
SELECT
    t.file_hash, t.field, t.header, t.cell, t.declared,
    coalesce(si.numerator, 0) AS computed
FROM raw.declared_totals AS t
SEMI JOIN incoming_submissions USING (file_hash)
LEFT JOIN core.submission_indicators AS si
    ON si.file_hash = t.file_hash
    AND si.indicator_code = t.indicator_code
    AND si.sector = t.sector
WHERE abs(t.declared - coalesce(si.numerator, 0)) > $tolerance
ORDER BY t.file_hash, t.cell;
