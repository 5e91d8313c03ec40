-- The tables whose columns the models' own queries define and that keep rows between
-- runs: dropped when the models change, so every period is built again into their new shape.
DROP TABLE IF EXISTS mart.district_indicators;
