INSERT INTO raw.declared_totals BY NAME
SELECT * FROM incoming_declared_totals;
