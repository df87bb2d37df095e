-- The audit log: every change a person makes, append-only, chained by hashes.
-- Each entry's hash covers the previous entry's hash and the digests (SHA-256) of its
-- before/after texts, so `audit verify` finds an edited, removed or reordered entry. A
-- privacy redaction may blank before/after (never the digests), so the chain still verifies.

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,         -- UTC ISO-8601
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,         -- e.g. stock.adjust, count.apply, sku.map, setting.set
    subject       TEXT NOT NULL,         -- what it acted on: 'SKU-A at WH', 'batch 12', a setting key
    before        TEXT,                  -- JSON, NULL when redacted
    after         TEXT,                  -- JSON, NULL when redacted
    before_digest TEXT NOT NULL,
    after_digest  TEXT NOT NULL,
    redacted      INTEGER NOT NULL DEFAULT 0,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_actor ON audit_log(actor, at);

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
-- The one update allowed: a redaction blanks before/after and sets `redacted`.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (new.redacted = 1 AND new.before IS NULL AND new.after IS NULL
          AND new.id = old.id AND new.at = old.at AND new.actor = old.actor AND new.action = old.action
          AND new.subject = old.subject AND new.before_digest = old.before_digest
          AND new.after_digest = old.after_digest AND new.prev_hash = old.prev_hash AND new.hash = old.hash)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Personal data of old orders can be removed (`omnictl privacy redact`); the party stays
-- (orders refer to it) with its fields blanked and the day it happened.
ALTER TABLE party ADD COLUMN redacted_on TEXT;
