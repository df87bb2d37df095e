-- Shop-floor reporting: what really happened on the floor, one row per imported file row.
-- A report advances its operation (good and scrap quantities); good output of an order's
-- last operation posts a 'produce' move, a material issue a 'consume' move (both carry the
-- batch and row, so `stock why` traces them to the file).

CREATE TABLE shopfloor_report (
    id              INTEGER PRIMARY KEY,
    batch_id        INTEGER NOT NULL REFERENCES import_batch(id),
    row_no          INTEGER NOT NULL,
    report_date     TEXT NOT NULL,                  -- date (company timezone)
    production_id   INTEGER NOT NULL REFERENCES production_order(id),
    operation_id    INTEGER NOT NULL REFERENCES operation(id),
    work_center     TEXT NOT NULL REFERENCES work_center(code),
    good_qty        REAL NOT NULL DEFAULT 0 CHECK (good_qty >= 0),
    scrap_qty       REAL NOT NULL DEFAULT 0 CHECK (scrap_qty >= 0),
    run_min         REAL NOT NULL DEFAULT 0 CHECK (run_min >= 0),
    downtime_min    REAL NOT NULL DEFAULT 0 CHECK (downtime_min >= 0),
    downtime_reason TEXT,
    operator        TEXT,
    UNIQUE (batch_id, row_no)
);
CREATE INDEX shopfloor_report_date ON shopfloor_report(report_date, work_center);
CREATE INDEX shopfloor_report_operation ON shopfloor_report(operation_id);

CREATE TABLE material_issue (
    id            INTEGER PRIMARY KEY,
    batch_id      INTEGER NOT NULL REFERENCES import_batch(id),
    row_no        INTEGER NOT NULL,
    issue_date    TEXT NOT NULL,                    -- date (company timezone)
    production_id INTEGER NOT NULL REFERENCES production_order(id),
    component     TEXT NOT NULL REFERENCES sku(code),
    quantity      REAL NOT NULL CHECK (quantity > 0),
    location      TEXT NOT NULL REFERENCES location(code),
    UNIQUE (batch_id, row_no)
);
CREATE INDEX material_issue_production ON material_issue(production_id, component);
CREATE INDEX material_issue_date ON material_issue(issue_date);
