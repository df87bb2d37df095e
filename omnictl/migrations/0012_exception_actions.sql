-- Each check has its own actions (omnictl.exceptions.ACTIONS_BY_CHECK): a channel's data is
-- re-imported or mapped, stock recounted, a consumption corrected. SQLite cannot change a
-- CHECK in place, so the table is rebuilt with every action allowed. Its events keep pointing
-- at the same ids: the foreign keys are checked at commit, when every row is back.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE exception_copy AS SELECT * FROM exception;
DROP TABLE exception;

CREATE TABLE exception (
    id           INTEGER PRIMARY KEY,
    check_name   TEXT NOT NULL,
    subject      TEXT NOT NULL UNIQUE,              -- what it is about: re-running a close never duplicates it
    work_center  TEXT,
    standard     TEXT NOT NULL,                     -- what was expected, with the number
    finding      TEXT NOT NULL,                     -- what the close found, at its latest run
    deadline     TEXT NOT NULL,                     -- date by which it must be closed
    level        INTEGER NOT NULL DEFAULT 0,        -- position on the close.escalation ladder
    owner        TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'acted', 'resolved', 'redated', 'cleared')),
    action       TEXT CHECK (action IN ('expedite', 'split', 'overtime', 'outsource', 'renegotiate',
                                        'accept late', 're-import', 'map SKU', 'fix at source', 'accept',
                                        'correct issue', 'update BOM', 'investigate', 'recount', 'adjust')),
    new_date     TEXT,                              -- the renegotiated date
    note         TEXT,
    forced       INTEGER NOT NULL DEFAULT 0,        -- T-3: the close fails until its loop is closed
    opened_on    TEXT NOT NULL,                     -- close date that opened it
    opened_at    TEXT NOT NULL,
    last_seen_on TEXT NOT NULL,                     -- latest close date that found it
    escalated_on TEXT,                              -- close date of its latest escalation
    resolved_at  TEXT,
    resolved_by  TEXT
);
INSERT INTO exception SELECT * FROM exception_copy;
DROP TABLE exception_copy;
CREATE INDEX exception_open ON exception(status, deadline);
CREATE INDEX exception_owner ON exception(owner, status);
