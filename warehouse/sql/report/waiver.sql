-- One waiver, by the id of the failure it accepts.
SELECT * FROM quality.waivers WHERE failure_id = $failure_id;
