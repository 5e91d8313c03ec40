-- Every failure of one file, as its feedback workbook marks them.
SELECT * FROM quality.validation_failures WHERE file_hash = $file_hash
ORDER BY sheet, row_number, cell;
