-- Stock: the append-only ledger of moves, its derived balances, purchases and counts.

-- Every change of stock is a move; nothing is edited or deleted (the triggers below refuse
-- it), and a correction is a new move. `order_line_id` is a plain reference, not a foreign
-- key: a move outlives an undone import batch, which posts reversing moves instead.
CREATE TABLE stock_move (
    id            INTEGER PRIMARY KEY,
    effective_at  TEXT NOT NULL,            -- UTC ISO instant the stock changed
    recorded_at   TEXT NOT NULL,            -- UTC ISO instant omnictl wrote it
    sku           TEXT NOT NULL REFERENCES sku(code),
    location      TEXT NOT NULL REFERENCES location(code),
    quantity      REAL NOT NULL CHECK (quantity <> 0),   -- signed: + in, - out
    kind          TEXT NOT NULL CHECK (kind IN ('opening', 'receipt', 'sale', 'return', 'transfer',
                                                'adjustment', 'count', 'consume', 'produce', 'scrap')),
    reason        TEXT,
    actor         TEXT NOT NULL,
    order_line_id INTEGER,                  -- the order line a sale or return posts for
    batch_id      INTEGER REFERENCES import_batch(id),   -- the file (and row) it came from
    source_row    INTEGER,
    count_id      INTEGER REFERENCES stock_count(id),
    ref           TEXT                      -- anything else: transfer pair, production order, note
);
-- Covering index: a SKU's position at any time is an index range, never a ledger scan.
CREATE INDEX stock_move_position ON stock_move(sku, location, effective_at, quantity);
CREATE INDEX stock_move_line ON stock_move(order_line_id) WHERE order_line_id IS NOT NULL;
CREATE INDEX stock_move_batch ON stock_move(batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX stock_move_recorded ON stock_move(location, recorded_at);

CREATE TRIGGER stock_move_no_update BEFORE UPDATE ON stock_move BEGIN
    SELECT RAISE(ABORT, 'stock moves are append-only: post a correcting move instead');
END;
CREATE TRIGGER stock_move_no_delete BEFORE DELETE ON stock_move BEGIN
    SELECT RAISE(ABORT, 'stock moves are append-only: post a correcting move instead');
END;

-- On hand now per SKU and location: the sum of its moves, kept by the trigger in the same
-- transaction as the move (and re-derived from the moves by `omnictl db check`).
CREATE TABLE stock_balance (
    sku      TEXT NOT NULL,
    location TEXT NOT NULL,
    on_hand  REAL NOT NULL,
    PRIMARY KEY (sku, location)
) WITHOUT ROWID;
CREATE TRIGGER stock_move_balance AFTER INSERT ON stock_move BEGIN
    INSERT INTO stock_balance (sku, location, on_hand) VALUES (new.sku, new.location, new.quantity)
    ON CONFLICT (sku, location) DO UPDATE SET on_hand = on_hand + excluded.on_hand;
END;

CREATE TABLE purchase_order (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    supplier      TEXT NOT NULL,
    location      TEXT NOT NULL REFERENCES location(code),
    ordered_on    TEXT,
    expected_on   TEXT NOT NULL,            -- date the goods are expected
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
    batch_id      INTEGER REFERENCES import_batch(id)
);
CREATE TABLE purchase_line (
    id            INTEGER PRIMARY KEY,
    po_id         INTEGER NOT NULL REFERENCES purchase_order(id),
    sku           TEXT NOT NULL REFERENCES sku(code),
    quantity      REAL NOT NULL CHECK (quantity > 0),
    received      REAL NOT NULL DEFAULT 0,
    unit_cost_minor INTEGER,
    currency      TEXT,
    expected_on   TEXT,                     -- overrides the order's date for this line
    UNIQUE (po_id, sku)
);
CREATE INDEX purchase_line_sku ON purchase_line(sku);

-- A physical count or another system's snapshot, kept whole; `applied_at` once corrected.
CREATE TABLE stock_count (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('count', 'snapshot')),
    location    TEXT REFERENCES location(code),   -- NULL: a snapshot over several locations
    counted_at  TEXT NOT NULL,                    -- UTC ISO instant
    scope       TEXT NOT NULL DEFAULT 'partial' CHECK (scope IN ('full', 'partial')),
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    applied_at  TEXT,
    applied_by  TEXT,
    reason      TEXT
);
CREATE INDEX stock_count_sha ON stock_count(sha256, location);
-- Key columns first: SQLite 3.40's integrity_check misreads a WITHOUT ROWID table whose key
-- columns are not its leading ones ("NULL value in count_line.counted").
CREATE TABLE count_line (
    count_id INTEGER NOT NULL REFERENCES stock_count(id),
    location TEXT NOT NULL,
    sku      TEXT NOT NULL,                 -- as written in the file (may be unknown)
    row_no   INTEGER NOT NULL,
    counted  REAL NOT NULL,
    PRIMARY KEY (count_id, location, sku, row_no)
) WITHOUT ROWID;

-- Open lines are few among a million: reservations read them through this index.
CREATE INDEX order_line_open ON order_line(order_id) WHERE fulfilment = 'open';
