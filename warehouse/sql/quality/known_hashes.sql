-- Every file already processed, by the SHA-256 of its bytes.
SELECT file_hash FROM raw.submissions_received;
