-- The value of an indicator from its summed parts, used at every level (district,
-- province) so a ratio is always recomputed from summed numerators and denominators.
-- A sum over rows that were all left out is missing, not zero.
CREATE OR REPLACE MACRO indicator_value(numerator, denominator, is_ratio, scale,
                                        rows_included, rows_left_out) AS
    CASE
        WHEN is_ratio THEN scale * numerator / NULLIF(denominator, 0)
        WHEN rows_included = 0 AND rows_left_out > 0 THEN NULL
        ELSE numerator
    END;

-- A sum that is the same to the last bit whatever the order its rows arrive in (threads,
-- files): each value is taken as an exact decimal of 10 places (a ten-thousandth of a
-- đồng in triệu đồng), summed exactly, and the total rounded once to a DOUBLE. Every sum
-- behind a published figure goes through it.
CREATE OR REPLACE MACRO exact_sum(x) AS sum(x::DECIMAL(38, 10))::DOUBLE;
