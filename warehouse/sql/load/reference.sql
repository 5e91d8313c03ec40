-- Reference data is replaced whole at every run from contracts/ and the reference files.
DELETE FROM ref.reporting_units;
INSERT INTO ref.reporting_units BY NAME SELECT * FROM incoming_units;
DELETE FROM ref.sectors;
INSERT INTO ref.sectors BY NAME SELECT * FROM incoming_sectors;
DELETE FROM ref.indicators;
INSERT INTO ref.indicators BY NAME SELECT * FROM incoming_indicators;
DELETE FROM ref.targets;
INSERT INTO ref.targets BY NAME SELECT * FROM incoming_targets;
DELETE FROM ref.rules;
INSERT INTO ref.rules BY NAME SELECT * FROM incoming_rules;
