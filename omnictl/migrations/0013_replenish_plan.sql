-- The latest forecast-driven replenishment plan (omnictl.replenish.store_plan), kept so the
-- console shows it at once: a whole company's plan takes tens of seconds to compute. It is
-- derived data, not a record: each store replaces the plan whole. `inputs` is the stamp of
-- what the plan was computed from (omnictl.replenish.inputs_stamp); a different stamp now
-- means the plan is stale.
CREATE TABLE replenish_plan (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    computed_at  TEXT NOT NULL,                     -- UTC ISO-8601
    today        TEXT NOT NULL,                     -- the day it projects from
    horizon_days INTEGER NOT NULL,
    inputs       TEXT NOT NULL,
    lines        INTEGER NOT NULL
);

CREATE TABLE replenish_line (
    rank             INTEGER PRIMARY KEY,           -- the console's order: soonest stock-out, then order-by day
    sku              TEXT NOT NULL,
    location         TEXT NOT NULL,
    unit             TEXT NOT NULL,
    action           TEXT NOT NULL,                 -- buy, produce or transfer
    source           TEXT,                          -- transfer: the warehouse it comes from
    on_hand          REAL NOT NULL,
    reserved         REAL NOT NULL,
    atp              REAL NOT NULL,
    daily_forecast   REAL NOT NULL,
    sigma_daily      REAL NOT NULL,
    sigma_basis      TEXT NOT NULL,
    lead_time_days   INTEGER NOT NULL,
    safety_stock     REAL NOT NULL,
    reorder_point    REAL NOT NULL,
    stockout_on      TEXT,
    below_reorder_on TEXT,
    need_on          TEXT,
    suggested        REAL NOT NULL,
    min_order_qty    REAL NOT NULL,
    order_by         TEXT,
    late             INTEGER NOT NULL,
    run_id           INTEGER,
    consumed         REAL NOT NULL,
    projection       TEXT NOT NULL                  -- JSON: end-of-day projected stock, today first
);
CREATE INDEX replenish_line_sku ON replenish_line(sku, location);
