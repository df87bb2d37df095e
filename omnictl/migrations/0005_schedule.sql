-- Schedules: each run of the scheduler (or rush-order what-if) with its parameters and
-- metrics, and where it put every operation. One run is current; accepting another records
-- who accepted it and why.

CREATE TABLE schedule_run (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('run', 'rush')),
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    horizon_start TEXT NOT NULL,            -- UTC instant
    horizon_end   TEXT NOT NULL,
    parameters    TEXT NOT NULL,            -- JSON: horizon days, optimize seconds, rush order, …
    metrics       TEXT NOT NULL,            -- JSON: late orders, weighted tardiness, makespan, utilisation, bottleneck
    is_current    INTEGER NOT NULL DEFAULT 0,
    accepted_at   TEXT,
    accepted_by   TEXT,
    reason        TEXT
);
CREATE UNIQUE INDEX schedule_run_current ON schedule_run(is_current) WHERE is_current = 1;

CREATE TABLE scheduled_op (
    run_id       INTEGER NOT NULL REFERENCES schedule_run(id),
    operation_id INTEGER NOT NULL REFERENCES operation(id),
    work_center  TEXT NOT NULL,
    unit         INTEGER NOT NULL,
    starts       TEXT NOT NULL,             -- UTC instants
    ends         TEXT NOT NULL,
    PRIMARY KEY (run_id, operation_id)
) WITHOUT ROWID;
