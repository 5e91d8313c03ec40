-- The locked periods' rows kept aside by drop_rebuilt.sql, back in the tables the models
-- made again (a column the new models add is empty for them until they are reopened).
INSERT INTO mart.completeness BY NAME FROM completeness_aside;
INSERT INTO mart.district_indicators BY NAME FROM district_indicators_aside;
INSERT INTO mart.province_indicators BY NAME FROM province_indicators_aside;
