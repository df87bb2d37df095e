-- Foundation: settings, master data, personal data, import batches, orders.

CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE location (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL DEFAULT 'warehouse' CHECK (kind IN ('warehouse', 'store', 'virtual')),
    timezone TEXT
);

CREATE TABLE sku (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    unit           TEXT NOT NULL DEFAULT 'ea',
    cost_minor     INTEGER,
    price_minor    INTEGER,
    kind           TEXT NOT NULL DEFAULT 'finished' CHECK (kind IN ('finished', 'component', 'raw')),
    barcode        TEXT,
    safety_stock   REAL NOT NULL DEFAULT 0,
    lead_time_days INTEGER NOT NULL DEFAULT 0,
    make_to_stock  INTEGER NOT NULL DEFAULT 0,
    min_order_qty  REAL NOT NULL DEFAULT 0
);
CREATE INDEX sku_barcode ON sku(barcode) WHERE barcode IS NOT NULL;

CREATE TABLE channel (
    code             TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    profile          TEXT NOT NULL,
    timezone         TEXT NOT NULL DEFAULT 'UTC',
    location         TEXT REFERENCES location(code),
    lead_time_days   INTEGER NOT NULL DEFAULT 2,
    allocation_share REAL NOT NULL DEFAULT 1.0,
    buffer_qty       REAL NOT NULL DEFAULT 0,
    reserve_unpaid   INTEGER NOT NULL DEFAULT 1,
    active           INTEGER NOT NULL DEFAULT 1,
    created_by       TEXT NOT NULL DEFAULT 'master'   -- 'master' or 'import' (auto-created)
);

-- A channel's own SKU (or listing id) to master SKUs. One row: a plain alias with a
-- quantity factor; several rows for one external_sku: a kit of components.
CREATE TABLE sku_alias (
    channel      TEXT NOT NULL REFERENCES channel(code),
    external_sku TEXT NOT NULL,
    sku          TEXT NOT NULL REFERENCES sku(code),
    factor       REAL NOT NULL DEFAULT 1 CHECK (factor > 0),
    PRIMARY KEY (channel, external_sku, sku)
) WITHOUT ROWID;

-- Personal data lives here only, referenced by id, so it can be redacted alone.
CREATE TABLE party (
    id        INTEGER PRIMARY KEY,
    name      TEXT,
    email     TEXT,
    phone     TEXT,
    address   TEXT,
    email_key TEXT,   -- normalised email, for matching
    phone_key TEXT    -- digits only, national part, for matching
);
CREATE INDEX party_email ON party(email_key) WHERE email_key IS NOT NULL;
CREATE INDEX party_phone ON party(phone_key) WHERE phone_key IS NOT NULL;

CREATE TABLE customer (
    id       INTEGER PRIMARY KEY,
    code     TEXT NOT NULL UNIQUE,
    tier     TEXT CHECK (tier IN ('A', 'B', 'C')),
    party_id INTEGER NOT NULL REFERENCES party(id),
    source   TEXT NOT NULL DEFAULT 'master'       -- 'master' or 'import'
);
CREATE INDEX customer_party ON customer(party_id);

CREATE TABLE import_batch (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,                  -- 'orders' or 'master:<kind>'
    file_name      TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    channel        TEXT REFERENCES channel(code),
    profile        TEXT,
    rows_read      INTEGER NOT NULL DEFAULT 0,
    imported       INTEGER NOT NULL DEFAULT 0,
    rejected       INTEGER NOT NULL DEFAULT 0,
    orders_created INTEGER NOT NULL DEFAULT 0,
    orders_updated INTEGER NOT NULL DEFAULT 0,
    lines_written  INTEGER NOT NULL DEFAULT 0,
    unmapped       INTEGER NOT NULL DEFAULT 0,
    actor          TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    undone_at      TEXT,
    undone_by      TEXT
);
CREATE INDEX import_batch_sha ON import_batch(sha256, channel);

CREATE TABLE import_reject (
    batch_id INTEGER NOT NULL REFERENCES import_batch(id),
    row_no   INTEGER NOT NULL,
    field    TEXT,
    reason   TEXT NOT NULL,
    raw      TEXT NOT NULL
);
CREATE INDEX import_reject_batch ON import_reject(batch_id, row_no);

CREATE TABLE sales_order (
    id                INTEGER PRIMARY KEY,
    channel           TEXT NOT NULL REFERENCES channel(code),
    external_id       TEXT NOT NULL,
    ordered_at        TEXT,        -- UTC ISO-8601 instant, NULL when the source has a date only
    ordered_on        TEXT,        -- calendar date in the company timezone (or the source's date)
    ordered_raw       TEXT,        -- the source text
    currency          TEXT,
    subtotal_minor    INTEGER,
    shipping_minor    INTEGER,
    tax_minor         INTEGER,
    discount_minor    INTEGER,
    total_minor       INTEGER,
    refunded_minor    INTEGER,
    payment           TEXT NOT NULL,
    fulfilment        TEXT NOT NULL,
    status            TEXT NOT NULL,
    raw_status        TEXT,        -- the source's status words, joined with ' | '
    promised_ship_by  TEXT,        -- date
    promised_source   TEXT,        -- 'channel' or 'derived'
    deliver_by        TEXT,        -- date, where the channel gives one
    customer_id       INTEGER REFERENCES customer(id),
    party_id          INTEGER REFERENCES party(id),
    first_batch_id    INTEGER NOT NULL REFERENCES import_batch(id),
    last_batch_id     INTEGER NOT NULL REFERENCES import_batch(id),
    source_row        INTEGER,     -- first row of the order in the last batch's file
    UNIQUE (channel, external_id)
);
CREATE INDEX sales_order_ordered_on ON sales_order(ordered_on);
CREATE INDEX sales_order_customer ON sales_order(customer_id);
CREATE INDEX sales_order_external ON sales_order(external_id);

CREATE TABLE order_line (
    id               INTEGER PRIMARY KEY,
    order_id         INTEGER NOT NULL REFERENCES sales_order(id),
    line_key         TEXT NOT NULL,
    external_sku     TEXT,
    sku              TEXT REFERENCES sku(code),   -- set for a plain alias or a master SKU
    mapping          TEXT NOT NULL CHECK (mapping IN ('sku', 'alias', 'kit', 'unmapped')),
    product_name     TEXT,
    quantity         REAL NOT NULL,
    unit_price_minor INTEGER,
    line_total_minor INTEGER,
    payment          TEXT NOT NULL,
    fulfilment       TEXT NOT NULL,
    status           TEXT NOT NULL,
    raw_status       TEXT,
    shipped_at       TEXT,
    first_batch_id   INTEGER NOT NULL REFERENCES import_batch(id),
    last_batch_id    INTEGER NOT NULL REFERENCES import_batch(id),
    source_row       INTEGER,
    UNIQUE (order_id, line_key)
);
CREATE INDEX order_line_sku ON order_line(sku);
CREATE INDEX order_line_external_sku ON order_line(external_sku);
CREATE INDEX order_line_unmapped ON order_line(mapping) WHERE mapping = 'unmapped';

-- Every change to an order or line: created, or one field from old to new, by batch.
CREATE TABLE order_event (
    id       INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES sales_order(id),
    line_id  INTEGER REFERENCES order_line(id),
    batch_id INTEGER REFERENCES import_batch(id),
    at       TEXT NOT NULL,
    field    TEXT NOT NULL,    -- 'created', 'line created', or a column name
    old      TEXT,
    new      TEXT
);
CREATE INDEX order_event_order ON order_event(order_id);
CREATE INDEX order_event_batch ON order_event(batch_id);
