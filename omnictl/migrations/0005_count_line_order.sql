-- count_line again, with its columns in primary-key order. SQLite 3.40's integrity_check
-- misreads a WITHOUT ROWID table whose key columns are not its leading ones and reports
-- "NULL value in count_line.counted" for every stored line, so `db check` failed.

CREATE TABLE count_line_new (
    count_id INTEGER NOT NULL REFERENCES stock_count(id),
    location TEXT NOT NULL,
    sku      TEXT NOT NULL,                 -- as written in the file (may be unknown)
    row_no   INTEGER NOT NULL,
    counted  REAL NOT NULL,
    PRIMARY KEY (count_id, location, sku, row_no)
) WITHOUT ROWID;
INSERT INTO count_line_new (count_id, location, sku, row_no, counted)
    SELECT count_id, location, sku, row_no, counted FROM count_line;
DROP TABLE count_line;
ALTER TABLE count_line_new RENAME TO count_line;
