"""KPIs at close scale: the day's report and its 30-day trend over 10,000 orders a day.

Builds (by plain executemany, not through the importer) 60 days of 10,000 orders a day,
1.5 lines each, every line shipped at a random time of its day against a promise; a sale
move per line; 2,000 SKUs with a cost; 20 work centers on a day-shift calendar with 50
shop-floor reports each per day (1,000 a day). Then times, in the same process:

  - omnictl: `kpi_report(db, D, D)` + `kpi_trend(db, D, 30)`, what the daily close calls;
  - baseline: raw sqlite3 asking the same questions in the cheapest form: shipped and
    on-time lines per day over the trend (GROUP BY on the first 10 characters of
    shipped_at, i.e. in UTC, no timezone), the shop-floor sums per work center and day, and
    the per-SKU sum of the ledger's moves up to and within the 59 days the trend needs.

    python benchmarks/kpi_bench.py                   # 10,000 orders a day
    python benchmarks/kpi_bench.py --orders-per-day 2000 --workdir /tmp/kpi   # keep the database
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from omnictl import clock
from omnictl.db import open_db
from omnictl.kpi import kpi_report, kpi_trend

DAYS = 60
SKUS = 2000
CENTERS = 20
REPORTS_PER_CENTER = 50
END = date(2026, 11, 24)


def build(path: Path, per_day: int, seed: int) -> None:
    rng = random.Random(seed)
    db = open_db(path)
    conn = db.conn
    first = END - timedelta(days=DAYS - 1)
    with db.write():
        conn.execute("INSERT INTO location (code, name) VALUES ('WH', 'Warehouse')")
        conn.executemany("INSERT INTO sku (code, name, cost_minor) VALUES (?, ?, ?)",
                         [(f"S{i:05d}", f"SKU {i}", rng.randint(100, 5000)) for i in range(SKUS)])
        conn.executemany("INSERT INTO stock_move (effective_at, recorded_at, sku, location, quantity, kind, actor) "
                         "VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?, 'WH', 100000, 'opening', 'b')",
                         [(f"S{i:05d}",) for i in range(SKUS)])
        conn.execute("INSERT INTO channel (code, name, profile, location) VALUES ('web', 'Web', 'shopify', 'WH')")
        batch = conn.execute("INSERT INTO import_batch (kind, file_name, sha256, channel, actor, started_at) "
                             "VALUES ('orders', 'bench', 'x', 'web', 'b', '2026-01-01T00:00:00Z')").lastrowid
        conn.execute("INSERT INTO calendar VALUES ('DAY', 'Day shift')")
        conn.executemany("INSERT INTO calendar_shift VALUES ('DAY', ?, '08:00', '16:00')", [(d,) for d in range(5)])
        conn.executemany("INSERT INTO work_center (code, name, calendar, ideal_rate) VALUES (?, ?, 'DAY', ?)",
                         [(f"WC{i:02d}", f"WC {i}", rng.choice((None, 30, 60))) for i in range(CENTERS)])
        conn.execute("INSERT INTO production_order (number, sku, location, quantity, due_on, status, created_at, "
                     "updated_at) VALUES ('MO-1', 'S00000', 'WH', 1e9, '2027-01-01', 'released', 'x', 'x')")
        conn.executemany("INSERT INTO operation (production_id, seq, work_center, setup_min, run_min) "
                         "VALUES (1, ?, ?, 0, 0)", [(10 * (i + 1), f"WC{i:02d}") for i in range(CENTERS)])
    order_id = line_id = 0
    for d in range(DAYS):
        day = first + timedelta(days=d)
        orders, lines, moves, reports = [], [], [], []
        for _ in range(per_day):
            order_id += 1
            promise = (day + timedelta(days=rng.choice((-1, 0, 0, 1, 2)))).isoformat()
            orders.append((order_id, "web", f"W{order_id}", day.isoformat(), "paid", "shipped", "shipped",
                           promise, "channel", batch, batch))
            for _ in range(rng.choice((1, 1, 2))):
                line_id += 1
                shipped = f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z"
                sku = f"S{rng.randrange(SKUS):05d}"
                lines.append((line_id, order_id, str(line_id), sku, sku, "sku", 1, "paid", "shipped", "shipped",
                              shipped, batch, batch))
                moves.append((shipped, shipped, sku, "WH", -1, "sale", "b", line_id))
        for c in range(CENTERS):
            for r in range(REPORTS_PER_CENTER):
                reports.append((batch, d * 100_000 + c * 1000 + r, day.isoformat(), 1, c + 1, f"WC{c:02d}",
                                rng.randint(5, 20), rng.choice((0, 0, 1)), rng.uniform(3, 9), rng.choice((0, 0, 2))))
        with db.write():
            conn.executemany("INSERT INTO sales_order (id, channel, external_id, ordered_on, payment, fulfilment, "
                             "status, promised_ship_by, promised_source, first_batch_id, last_batch_id) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", orders)
            conn.executemany("INSERT INTO order_line (id, order_id, line_key, external_sku, sku, mapping, quantity, "
                             "payment, fulfilment, status, shipped_at, first_batch_id, last_batch_id) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", lines)
            conn.executemany("INSERT INTO stock_move (effective_at, recorded_at, sku, location, quantity, kind, actor, "
                             "order_line_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", moves)
            conn.executemany("INSERT INTO shopfloor_report (batch_id, row_no, report_date, production_id, "
                             "operation_id, work_center, good_qty, scrap_qty, run_min, downtime_min) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", reports)
    db.execute("ANALYZE")
    db.close()


BASELINE_OTD = """
SELECT substr(l.shipped_at, 1, 10) AS day, count(*), sum(o.promised_ship_by >= substr(l.shipped_at, 1, 10))
FROM order_line l JOIN sales_order o ON o.id = l.order_id
WHERE l.shipped_at >= ? AND l.shipped_at < ? GROUP BY 1
"""
BASELINE_FLOOR = """
SELECT work_center, report_date, sum(run_min), sum(downtime_min), sum(good_qty), sum(scrap_qty)
FROM shopfloor_report WHERE report_date >= ? AND report_date <= ? GROUP BY 1, 2
"""
BASELINE_STOCK = """
SELECT sku, sum(CASE WHEN effective_at <= ? THEN quantity END), sum(CASE WHEN effective_at > ? THEN quantity END)
FROM stock_move WHERE effective_at <= ? GROUP BY sku
"""


def baseline(path: Path) -> float:
    conn = sqlite3.connect(path)
    start = END - timedelta(days=29)
    window = (start - timedelta(days=29)).isoformat() + "T00:00:00Z"
    began = time.perf_counter()
    conn.execute(BASELINE_OTD, (start.isoformat(), (END + timedelta(days=1)).isoformat())).fetchall()
    conn.execute(BASELINE_FLOOR, (start.isoformat(), END.isoformat())).fetchall()
    conn.execute(BASELINE_STOCK, (window, window, END.isoformat() + "T23:59:59Z")).fetchall()
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


def ours(path: Path) -> tuple[float, float]:
    db = open_db(path)
    began = time.perf_counter()
    kpi_report(db, END, END)
    reported = time.perf_counter()
    kpi_trend(db, END, 30)
    finished = time.perf_counter()
    db.close()
    return reported - began, finished - reported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders-per-day", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    clock.pin("2026-11-25")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"kpi-{args.orders_per_day}.db"
    if not path.exists():
        began = time.perf_counter()
        build(path, args.orders_per_day, args.seed)
        print(f"built {path} ({DAYS} days × {args.orders_per_day:,} orders) in {time.perf_counter() - began:.1f} s")
    base = min(baseline(path) for _ in range(3))
    runs = [ours(path) for _ in range(3)]
    report, trend = min(r[0] for r in runs), min(r[1] for r in runs)
    print(f"kpi_report (one day):         {report:6.3f} s")
    print(f"kpi_trend (30 days):          {trend:6.3f} s")
    print(f"omnictl total:                {report + trend:6.3f} s")
    print(f"raw sqlite3 baseline:         {base:6.3f} s")
    print(f"ratio:                        {(report + trend) / base:6.1f}×")


if __name__ == "__main__":
    main()
