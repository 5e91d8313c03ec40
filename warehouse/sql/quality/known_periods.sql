-- The periods the warehouse already knows.
SELECT code FROM ref.periods;
