-- New files of this run, as received (their status is derived by
-- models/10_submission_status.sql; raw.submissions shows both).
INSERT INTO raw.submissions_received BY NAME
SELECT * FROM incoming_submissions;
