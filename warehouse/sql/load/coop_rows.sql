-- Roster rows of every readable new file, whatever its verdict: core keeps the accepted.
INSERT INTO raw.coop_rows BY NAME
SELECT * FROM incoming_coop_rows;
