-- New files of this run, as received (status is set by models/10_submission_status.sql).
INSERT INTO raw.submissions BY NAME
SELECT * FROM incoming_submissions;
