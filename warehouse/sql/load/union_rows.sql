INSERT INTO raw.union_rows BY NAME
SELECT * FROM incoming_union_rows;
