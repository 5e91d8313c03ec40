-- The tables whose columns the models' own queries define: dropped when the models
-- change, so that they are made again in their new shape (and every period rebuilt).
DROP TABLE IF EXISTS mart.completeness;
DROP TABLE IF EXISTS mart.district_indicators;
DROP TABLE IF EXISTS mart.province_indicators;
