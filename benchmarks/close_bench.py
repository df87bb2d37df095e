"""The daily close at scale: a day with 10,000 sales orders and 1,000 operations.

Builds a company with 10,000 open sales orders (about 15,000 lines over 500 SKUs and 8
channels, ship-by dates from five days ago to a month ahead), 10,000 orders shipped over the
last 30 days (for on-time delivery, stock value and usage), 250 production orders with
1,000 operations (planned ends around the closed day, some behind plan), that day's
production reports and material issues with 29 days of reports before it (for the OEE
trend), a stock ledger at cost and an unapplied count. Then times,
in the same process and on the same file:

  - `close.run_close` (every check, the exceptions, the stored result; one transaction),
    first run and a re-run of the same day (which replaces its result);
  - the baseline: the same reads as plain `sqlite3` queries with their rows fetched (channel
    freshness, rejects, unmapped lines, operations behind plan, consumption per order and
    component, negative stock, reservations against on hand, open lines with their pegs,
    T-3 orders, shipped lines, reports and stock value by day for the KPIs), without the
    checks' logic, the KPI arithmetic or any writing.

    python benchmarks/close_bench.py                   # 10,000 orders, 1,000 operations
    python benchmarks/close_bench.py --orders 50000 --operations 4000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from omnictl import clock
from omnictl.close import run_close
from omnictl.db import open_db
from omnictl.inventory import _OPEN_DEMAND_SQL, _RESERVED_SQL

DAY = date(2026, 11, 24)
CHANNELS = 8
SKUS = 500
OPS_PER_ORDER = 4


def build(path: Path, orders: int, operations: int, shipped: int, seed: int) -> None:
    rng = random.Random(seed)
    db = open_db(path)
    c = db.conn
    with db.write():
        c.execute("INSERT INTO location (code, name) VALUES ('WH', 'Warehouse')")
        c.execute("INSERT INTO calendar VALUES ('STD', 'Day shift')")
        centers = [f"WC{i}" for i in range(8)]
        c.executemany("INSERT INTO work_center (code, name, calendar) VALUES (?, ?, 'STD')",
                      [(w, w) for w in centers])
        finished = [f"F{i:04d}" for i in range(SKUS)]
        parts = [f"P{i:04d}" for i in range(100)]
        c.executemany("INSERT INTO sku (code, name, kind) VALUES (?, ?, 'finished')", [(s, s) for s in finished])
        c.executemany("INSERT INTO sku (code, name, kind) VALUES (?, ?, 'component')", [(s, s) for s in parts])
        c.executemany("INSERT OR IGNORE INTO bom_line VALUES (?, ?, ?, ?)",
                      [(f, rng.choice(parts), rng.choice((1, 2, 0.5)), rng.choice((0, 2, 5)))
                       for f in finished for _ in range(3)])
        c.executemany("INSERT INTO channel (code, name, profile, location) VALUES (?, ?, 'shopify', 'WH')",
                      [(f"ch{i}", f"Channel {i}") for i in range(CHANNELS)])
        batches = {}
        for i in range(CHANNELS):
            started = f"{DAY + timedelta(days=1)}T06:00:00Z" if i else f"{DAY}T10:00:00Z"   # one channel is stale
            batches[i] = c.execute("INSERT INTO import_batch (kind, file_name, sha256, channel, actor, started_at, "
                                   "rejected) VALUES ('orders', ?, ?, ?, 'bench', ?, ?)",
                                   (f"ch{i}.csv", f"sha{i}", f"ch{i}", started, i % 3)).lastrowid
        order_rows, line_rows = [], []
        line_id = 0
        for n in range(1, orders + 1):
            ch = n % CHANNELS
            ship_by = (DAY + timedelta(days=rng.randint(-5, 30))).isoformat()
            order_rows.append((n, f"ch{ch}", f"#{n}", ship_by, batches[ch], batches[ch]))
            for k in range(rng.choice((1, 1, 2))):
                line_id += 1
                unmapped = rng.random() < 0.002
                line_rows.append((line_id, n, str(k + 1), None if unmapped else rng.choice(finished),
                                  "unmapped" if unmapped else "sku", f"X{line_id}" if unmapped else None,
                                  rng.randint(1, 5), batches[ch], batches[ch]))
        history = []                                   # shipped orders of the last 30 days, for the KPIs
        for n in range(orders + 1, orders + 1 + shipped):
            ch = n % CHANNELS
            promised = DAY - timedelta(days=rng.randint(0, 29))
            sent = promised + timedelta(days=rng.choice((-1, 0, 0, 0, 1, 2)))
            order_rows.append((n, f"ch{ch}", f"#{n}", promised.isoformat(), batches[ch], batches[ch]))
            for k in range(rng.choice((1, 1, 2))):
                line_id += 1
                history.append((line_id, n, str(k + 1), rng.choice(finished), rng.randint(1, 5),
                                f"{min(sent, DAY)}T{rng.randint(1, 12):02d}:00:00Z", batches[ch], batches[ch]))
        c.executemany("INSERT INTO sales_order (id, channel, external_id, payment, fulfilment, status, "
                      "promised_ship_by, first_batch_id, last_batch_id) VALUES (?, ?, ?, 'paid', 'open', 'paid', ?, "
                      "?, ?)", order_rows)
        c.executemany("INSERT INTO order_line (id, order_id, line_key, sku, mapping, external_sku, quantity, payment, "
                      "fulfilment, status, first_batch_id, last_batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'paid', "
                      "'open', 'paid', ?, ?)", line_rows)
        c.executemany("UPDATE sales_order SET fulfilment = 'shipped', status = 'shipped' WHERE id = ?",
                      [(n,) for n in range(orders + 1, orders + 1 + shipped)])
        c.executemany("INSERT INTO order_line (id, order_id, line_key, sku, mapping, quantity, payment, fulfilment, "
                      "status, shipped_at, first_batch_id, last_batch_id) VALUES (?, ?, ?, ?, 'sku', ?, 'paid', "
                      "'shipped', 'shipped', ?, ?, ?)", history)
        c.executemany("INSERT INTO stock_move (effective_at, recorded_at, sku, location, quantity, kind, actor, "
                      "order_line_id) VALUES (?, ?, ?, 'WH', ?, 'sale', 'bench', ?)",
                      [(at, at, sku, -qty, lid) for lid, _, _, sku, qty, at, _, _ in history])
        c.executemany("INSERT INTO stock_move (effective_at, recorded_at, sku, location, quantity, kind, actor) "
                      "VALUES ('2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', ?, 'WH', ?, 'opening', 'bench')",
                      [(s, rng.randint(150, 300)) for s in finished + parts])
        c.executemany("UPDATE sku SET cost_minor = ? WHERE code = ?", [(rng.randint(500, 5000), s)
                                                                         for s in finished + parts])
        production = operations // OPS_PER_ORDER
        report_batch = c.execute("INSERT INTO import_batch (kind, file_name, sha256, actor, started_at) VALUES "
                                 "('shopfloor', 'r.csv', 'r', 'bench', ?)", (f"{DAY + timedelta(days=1)}T06:00:00Z",)
                                 ).lastrowid
        row_no = 1
        for p in range(1, production + 1):
            sku = rng.choice(finished)
            qty = rng.randint(5, 50)
            c.execute("INSERT INTO production_order (id, number, sku, location, quantity, due_on, status, created_at, "
                      "updated_at) VALUES (?, ?, ?, 'WH', ?, ?, 'released', '2026-11-20T00:00:00Z', "
                      "'2026-11-20T00:00:00Z')", (p, f"MO-{p:06d}", sku, qty,
                                                  (DAY + timedelta(days=rng.randint(0, 10))).isoformat()))
            for line in rng.sample(range(1, line_id + 1), 2):
                c.execute("INSERT OR IGNORE INTO production_peg VALUES (?, ?, ?)", (p, line, 1))
            for s in range(OPS_PER_ORDER):
                end = f"{DAY + timedelta(days=rng.randint(-2, 6))}T{rng.randint(1, 9):02d}:00:00Z"
                done = qty if rng.random() < 0.3 else rng.randint(0, qty)
                op = c.execute("INSERT INTO operation (production_id, seq, work_center, setup_min, run_min, status, "
                               "qty_done, planned_end) VALUES (?, ?, ?, 15, ?, ?, ?, ?)",
                               (p, (s + 1) * 10, rng.choice(centers), qty * 3,
                                "done" if done == qty else "partly done" if done else "planned", done, end)).lastrowid
                if done:
                    c.execute("INSERT INTO shopfloor_report (batch_id, row_no, report_date, production_id, "
                              "operation_id, work_center, good_qty, scrap_qty, run_min) VALUES (?, ?, ?, ?, ?, "
                              "(SELECT work_center FROM operation WHERE id = ?), ?, 0, 60)",
                              (report_batch, row_no, DAY.isoformat(), p, op, op, done))
                    row_no += 1
            for part in c.execute("SELECT component, quantity FROM bom_line WHERE parent = ?", (sku,)).fetchall():
                c.execute("INSERT INTO material_issue (batch_id, row_no, issue_date, production_id, component, "
                          "quantity, location) VALUES (?, ?, ?, ?, ?, ?, 'WH')",
                          (report_batch, row_no, DAY.isoformat(), p, part[0], part[1] * qty * rng.uniform(0.5, 1.3)))
                row_no += 1
        ops = [r for r in c.execute("SELECT id, production_id, work_center FROM operation").fetchall()]
        for back in range(1, 30):
            day = (DAY - timedelta(days=back)).isoformat()
            for op_id, p, center in rng.sample(ops, min(len(ops), operations // 10)):
                c.execute("INSERT INTO shopfloor_report (batch_id, row_no, report_date, production_id, operation_id, "
                          "work_center, good_qty, scrap_qty, run_min, downtime_min) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                          "?, ?)", (report_batch, row_no, day, p, op_id, center, rng.randint(1, 20),
                                    rng.choice((0, 0, 1)), rng.randint(30, 400), rng.choice((0, 0, 15))))
                row_no += 1
        count = c.execute("INSERT INTO stock_count (kind, location, counted_at, file_name, sha256, actor, recorded_at) "
                          "VALUES ('count', 'WH', ?, 'count.csv', 'c', 'bench', ?)",
                          (f"{DAY}T18:00:00Z", f"{DAY}T18:00:00Z")).lastrowid
        c.executemany("INSERT INTO count_line VALUES (?, 'WH', ?, ?, ?)",
                      [(count, s, rng.randint(0, 40), i + 2) for i, s in enumerate(finished[:200])])
    db.close()


END = f"{DAY + timedelta(days=1)}T00:00:00Z"
WINDOW = (DAY + timedelta(days=3)).isoformat()
BASELINE = [
    ("SELECT c.code, (SELECT max(b.started_at) FROM import_batch b WHERE b.channel = c.code AND b.kind = 'orders') "
     "FROM channel c WHERE c.active = 1", ()),
    ("SELECT * FROM import_batch WHERE id IN (SELECT max(id) FROM import_batch WHERE kind = 'orders' GROUP BY "
     "channel) AND rejected > 0", ()),
    ("SELECT o.channel, l.external_sku, count(*), sum(l.quantity) FROM order_line l JOIN sales_order o ON "
     "o.id = l.order_id WHERE l.mapping = 'unmapped' GROUP BY 1, 2", ()),
    ("SELECT o.*, p.number, p.quantity FROM operation o JOIN production_order p ON p.id = o.production_id "
     "WHERE o.status != 'done' AND o.planned_end <= ?", (END,)),
    ("SELECT production_id, max(good) FROM (SELECT production_id, operation_id, sum(good_qty) AS good FROM "
     "shopfloor_report WHERE report_date <= ? GROUP BY 1, 2) GROUP BY 1", (DAY.isoformat(),)),
    ("SELECT production_id, component, sum(quantity) FROM material_issue WHERE issue_date <= ? GROUP BY 1, 2",
     (DAY.isoformat(),)),
    ("SELECT parent, component, quantity, scrap_pct FROM bom_line WHERE parent IN (SELECT sku FROM "
     "production_order)", ()),
    ("SELECT * FROM stock_balance WHERE on_hand < 0", ()),
    (_RESERVED_SQL.format(filters=""), ()),
    ("SELECT * FROM stock_balance", ()),
    (_OPEN_DEMAND_SQL, ()),
    ("SELECT g.order_line_id, sum(g.quantity) FROM production_peg g JOIN production_order p ON p.id = "
     "g.production_id WHERE p.status IN ('planned', 'released', 'started') GROUP BY 1", ()),
    ("SELECT substr(l.shipped_at, 1, 10), count(*), sum(o.promised_ship_by >= substr(l.shipped_at, 1, 10)) FROM "
     "order_line l JOIN sales_order o ON o.id = l.order_id WHERE l.shipped_at >= ? GROUP BY 1",
     ((DAY - timedelta(days=29)).isoformat(),)),
    ("SELECT work_center, report_date, sum(run_min), sum(downtime_min), sum(good_qty), sum(scrap_qty) FROM "
     "shopfloor_report WHERE report_date >= ? GROUP BY 1, 2", ((DAY - timedelta(days=29)).isoformat(),)),
    ("SELECT m.sku, substr(m.effective_at, 1, 10), sum(m.quantity * s.cost_minor) FROM stock_move m JOIN sku s "
     "ON s.code = m.sku GROUP BY 1, 2", ()),
    ("SELECT p.id, min(s.promised_ship_by) FROM production_order p JOIN production_peg g ON g.production_id = p.id "
     "JOIN order_line l ON l.id = g.order_line_id JOIN sales_order s ON s.id = l.order_id WHERE p.status IN "
     "('planned', 'released', 'started') AND l.fulfilment = 'open' AND s.promised_ship_by <= ? GROUP BY p.id",
     (WINDOW,)),
]


def baseline(path: Path) -> float:
    conn = sqlite3.connect(path)
    started = time.perf_counter()
    for sql, params in BASELINE:
        conn.execute(sql, params).fetchall()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--operations", type=int, default=1_000)
    parser.add_argument("--shipped", type=int, default=10_000, help="shipped orders over the last 30 days")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    clock.pin(f"{DAY + timedelta(days=1)}T07:00")
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="omnictl-close-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "close.db"
    if path.exists():
        path.unlink()
    started = time.perf_counter()
    build(path, args.orders, args.operations, args.shipped, args.seed)
    print(f"built {args.orders:,} open and {args.shipped:,} shipped orders, {args.operations:,} operations in "
          f"{time.perf_counter() - started:.1f} s "
          f"({path})")
    base = min(baseline(path) for _ in range(3))
    db = open_db(path)
    timings = []
    for label in ("close (first run)", "close (re-run of the day)"):
        started = time.perf_counter()
        report = run_close(db, DAY, actor="bench")
        timings.append((label, time.perf_counter() - started, report))
    db.close()
    print(f"{'step':<28}{'seconds':>9}{'ratio':>8}")
    print(f"{'sqlite3 baseline (reads)':<28}{base:>9.3f}{1:>8.1f}")
    for label, seconds, _ in timings:
        print(f"{label:<28}{seconds:>9.3f}{seconds / base:>8.1f}")
    report = timings[0][2]
    print("checks: " + ", ".join(f"{c.name} {c.status} ({len(c.exceptions)})" for c in report.checks)
          + f"; {len(report.exceptions)} exceptions")
    print("target < 3 s: " + ("met" if max(t[1] for t in timings) < 3 else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
