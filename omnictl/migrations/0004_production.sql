-- Production: work centers and their calendars, routings, BOMs, production orders with the
-- sales lines they serve, and their operations.

CREATE TABLE calendar (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
-- Working time per weekday (0 = Monday … 6 = Sunday): one row per shift, local times.
CREATE TABLE calendar_shift (
    calendar TEXT NOT NULL REFERENCES calendar(code),
    weekday  INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    starts   TEXT NOT NULL,              -- HH:MM
    ends     TEXT NOT NULL,              -- HH:MM; before `starts` means the shift ends the next day
    PRIMARY KEY (calendar, weekday, starts)
) WITHOUT ROWID;
-- Days off (holidays) and planned downtime: no working time from `starts` to `ends` (local).
CREATE TABLE calendar_exception (
    calendar    TEXT NOT NULL REFERENCES calendar(code),
    starts      TEXT NOT NULL,           -- local ISO date or date-time
    ends        TEXT NOT NULL,
    work_center TEXT,                    -- NULL: the whole calendar; else downtime of one work center
    reason      TEXT
);
CREATE INDEX calendar_exception_calendar ON calendar_exception(calendar, starts);

CREATE TABLE work_center (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    units         INTEGER NOT NULL DEFAULT 1 CHECK (units >= 1),   -- parallel machines or stations
    calendar      TEXT NOT NULL REFERENCES calendar(code),
    ideal_rate    REAL,                  -- units per hour at ideal speed, for OEE
    location      TEXT REFERENCES location(code)
);

-- Per SKU, the operations in sequence; `alternatives` lists other work centers that can do it.
CREATE TABLE routing_step (
    sku          TEXT NOT NULL REFERENCES sku(code),
    seq          INTEGER NOT NULL,
    work_center  TEXT NOT NULL REFERENCES work_center(code),
    name         TEXT,
    setup_min    REAL NOT NULL DEFAULT 0 CHECK (setup_min >= 0),
    run_min      REAL NOT NULL DEFAULT 0 CHECK (run_min >= 0),       -- per unit
    alternatives TEXT,                    -- comma-separated work center codes
    PRIMARY KEY (sku, seq)
) WITHOUT ROWID;

-- Components per unit of the parent, with the scrap expected when making it.
CREATE TABLE bom_line (
    parent    TEXT NOT NULL REFERENCES sku(code),
    component TEXT NOT NULL REFERENCES sku(code),
    quantity  REAL NOT NULL CHECK (quantity > 0),
    scrap_pct REAL NOT NULL DEFAULT 0 CHECK (scrap_pct >= 0 AND scrap_pct < 100),
    PRIMARY KEY (parent, component)
) WITHOUT ROWID;
CREATE INDEX bom_line_component ON bom_line(component);

CREATE TABLE production_order (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,             -- MO-000123
    sku           TEXT NOT NULL REFERENCES sku(code),
    location      TEXT REFERENCES location(code),
    quantity      REAL NOT NULL CHECK (quantity > 0),
    due_on        TEXT NOT NULL,                    -- date (company timezone)
    status        TEXT NOT NULL DEFAULT 'planned'
                  CHECK (status IN ('planned', 'released', 'started', 'done', 'cancelled')),
    reason        TEXT NOT NULL DEFAULT 'order'     -- order (serves sales lines), stock (make-to-stock), component
                  CHECK (reason IN ('order', 'stock', 'component')),
    parent_id     INTEGER REFERENCES production_order(id),   -- the order a component order feeds
    priority      REAL,
    priority_parts TEXT,                            -- JSON: urgency, tier, margin with their weights
    planned_start TEXT,                             -- UTC instants from the schedule (or an estimate)
    planned_end   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    released_at   TEXT,
    released_by   TEXT
);
CREATE INDEX production_order_sku ON production_order(sku, status);

-- Which sales lines (or parent orders) a production order serves, and how much of each.
CREATE TABLE production_peg (
    production_id INTEGER NOT NULL REFERENCES production_order(id),
    order_line_id INTEGER,                          -- plain reference: a line may be undone later
    quantity      REAL NOT NULL,
    PRIMARY KEY (production_id, order_line_id)
) WITHOUT ROWID;
CREATE INDEX production_peg_line ON production_peg(order_line_id);

CREATE TABLE operation (
    id            INTEGER PRIMARY KEY,
    production_id INTEGER NOT NULL REFERENCES production_order(id),
    seq           INTEGER NOT NULL,
    work_center   TEXT NOT NULL REFERENCES work_center(code),
    name          TEXT,
    setup_min     REAL NOT NULL,
    run_min       REAL NOT NULL,                    -- for the whole order quantity
    status        TEXT NOT NULL DEFAULT 'planned'
                  CHECK (status IN ('planned', 'started', 'partly done', 'done')),
    qty_done      REAL NOT NULL DEFAULT 0,
    qty_scrap     REAL NOT NULL DEFAULT 0,
    planned_start TEXT,
    planned_end   TEXT,
    unit          INTEGER,                          -- which of the work center's units
    UNIQUE (production_id, seq)
);
CREATE INDEX operation_work_center ON operation(work_center, planned_start);
