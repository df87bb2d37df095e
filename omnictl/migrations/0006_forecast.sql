-- Demand forecasts: each `forecast run` is a stored version (its parameters, and per SKU,
-- location and period the quantity and the method chosen with its backtest error), so later
-- runs and `forecast accuracy` can compare what was forecast with what happened.
-- Sales' own forecast (`forecast import-sales`) is kept beside it; the consensus is computed
-- from both with setting forecast.sales_weight, so neither is ever overwritten.

CREATE TABLE forecast_run (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,               -- UTC instant
    created_by  TEXT NOT NULL,
    as_of       TEXT NOT NULL,               -- last day of actuals used (company-timezone date)
    bucket      TEXT NOT NULL CHECK (bucket IN ('day', 'week', 'month')),
    horizon     INTEGER NOT NULL,            -- buckets forecast
    parameters  TEXT NOT NULL                -- JSON: sku, channel, exclude_outliers, unmapped lines, …
);
CREATE INDEX forecast_run_bucket ON forecast_run(bucket, as_of);

CREATE TABLE forecast (
    run_id       INTEGER NOT NULL REFERENCES forecast_run(id),
    sku          TEXT NOT NULL,
    location     TEXT,                       -- NULL: the SKU in total; else its share at a location
    bucket       TEXT NOT NULL,
    period_start TEXT NOT NULL,              -- first day of the bucket
    quantity     REAL NOT NULL,
    method       TEXT NOT NULL,
    mase         REAL,                       -- backtest error of the method (NULL: no backtest)
    wape         REAL
);
CREATE INDEX forecast_run_sku ON forecast(run_id, sku, bucket, period_start);
CREATE INDEX forecast_sku_period ON forecast(sku, bucket, period_start);

CREATE TABLE sales_forecast_batch (
    id          INTEGER PRIMARY KEY,
    file        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    rejected    INTEGER NOT NULL
);

CREATE TABLE sales_forecast (
    sku          TEXT NOT NULL,
    bucket       TEXT NOT NULL CHECK (bucket IN ('day', 'week', 'month')),
    period_start TEXT NOT NULL,
    quantity     REAL NOT NULL,
    batch_id     INTEGER NOT NULL REFERENCES sales_forecast_batch(id),
    PRIMARY KEY (sku, bucket, period_start)    -- the latest import of a period wins
) WITHOUT ROWID;
