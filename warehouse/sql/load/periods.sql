-- Periods seen in returns, with their deadline.
INSERT OR REPLACE INTO ref.periods BY NAME SELECT * FROM incoming_periods;
