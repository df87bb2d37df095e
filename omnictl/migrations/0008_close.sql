-- The daily close (日清日结): one run per date with its named checks, and the exception
-- register with the three elements (standard, constraint = deadline + escalation level,
-- owner). Every change to an exception is an append-only event with actor, time, before
-- and after. A channel that does not send a file every day is not checked for freshness.

ALTER TABLE channel ADD COLUMN daily_files INTEGER NOT NULL DEFAULT 1;

CREATE TABLE close_run (
    close_date TEXT PRIMARY KEY,                    -- date D (company timezone)
    status     TEXT NOT NULL CHECK (status IN ('ok', 'warn', 'fail')),
    ran_at     TEXT NOT NULL,                       -- UTC instant of the latest run of D
    actor      TEXT NOT NULL,
    result     TEXT NOT NULL                        -- JSON: the close report as `close run --json` prints it
);

CREATE TABLE close_check (
    close_date TEXT NOT NULL REFERENCES close_run(close_date),
    seq        INTEGER NOT NULL,                    -- the order the checks ran in
    name       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('ok', 'warn', 'fail')),
    owner      TEXT NOT NULL,
    details    TEXT NOT NULL,                       -- JSON list of sentences
    PRIMARY KEY (close_date, seq)
) WITHOUT ROWID;

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
                                        'accept late')),
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
CREATE INDEX exception_open ON exception(status, deadline);
CREATE INDEX exception_owner ON exception(owner, status);

CREATE TABLE exception_event (
    id           INTEGER PRIMARY KEY,
    exception_id INTEGER NOT NULL REFERENCES exception(id),
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    kind         TEXT NOT NULL,                     -- opened, updated, assigned, acted, resolved, escalated, reopened, cleared
    before       TEXT,                              -- JSON of the changed fields before
    after        TEXT,                              -- JSON after
    note         TEXT
);
CREATE INDEX exception_event_exception ON exception_event(exception_id, id);

CREATE TRIGGER exception_event_no_update BEFORE UPDATE ON exception_event BEGIN
    SELECT RAISE(ABORT, 'exception events are append-only');
END;
CREATE TRIGGER exception_event_no_delete BEFORE DELETE ON exception_event BEGIN
    SELECT RAISE(ABORT, 'exception events are append-only');
END;

-- The close reads operations by planned end, and the shop floor's reports and issues by order.
CREATE INDEX operation_planned_end ON operation(planned_end) WHERE status != 'done';
CREATE INDEX shopfloor_report_production ON shopfloor_report(production_id, report_date);
