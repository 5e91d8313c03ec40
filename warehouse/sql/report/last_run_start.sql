-- When the last recorded run started: a file it did not see arrived after that.
SELECT max(started_at) AS started_at FROM ops.runs;
