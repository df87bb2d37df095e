"""Production planning at scale: netting and BOM explosion of 50,000 open order lines.

Builds a company with 5,000 finished SKUs (each with a two-step routing and a three-level
BOM: finished → one of 1,000 made subassemblies → one of 500 made parts → bought raw
material, plus bought components at every level), two warehouses, four channels and
50,000 open order lines (ship-by over the next three weeks, customers with tiers), stock
and purchase orders. Then times, in the same run and on the same file:

  - `plan orders` (`netting.plan_orders`: netting every level, pegging, operations with
    estimated starts from the calendars, priorities; one transaction) on an empty plan;
  - the same again (every order matched, nothing to write but priorities);
  - `plan materials` (`materials.check_materials`);
  - the baseline: plain `sqlite3`, the GROUP BY of open demand per SKU and location
    (what netting has to read at the least).

    python benchmarks/plan_bench.py                     # 50,000 lines, 5,000 SKUs
    python benchmarks/plan_bench.py --lines 5000 --skus 500
    python benchmarks/plan_bench.py --workdir /tmp/plan  # keep the database
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from omnictl import clock
from omnictl.db import open_db

TODAY = "2026-11-25"
BASELINE_SQL = """
SELECT CASE WHEN l.mapping = 'sku' THEN l.sku ELSE a.sku END AS sku, ch.location,
       sum(l.quantity * CASE WHEN l.mapping = 'sku' THEN 1 ELSE a.factor END)
FROM order_line l INDEXED BY order_line_open
JOIN sales_order o ON o.id = l.order_id JOIN channel ch ON ch.code = o.channel
LEFT JOIN sku_alias a ON l.mapping IN ('alias', 'kit') AND a.channel = o.channel AND a.external_sku = l.external_sku
WHERE l.fulfilment = 'open' AND l.mapping != 'unmapped' AND l.quantity > 0
GROUP BY 1, 2
"""


def build(path: Path, lines: int, skus: int, seed: int) -> dict:
    rng = random.Random(seed)
    subs, parts, bought = max(1, skus // 5), max(1, skus // 10), max(2, skus * 2 // 5)
    db = open_db(path)
    conn = db.conn
    today = date.fromisoformat(TODAY)
    with db.write():
        conn.execute("INSERT INTO setting VALUES ('company.currency', 'EUR')")
        conn.executemany("INSERT INTO location (code, name, kind) VALUES (?, ?, 'warehouse')",
                         [("WH1", "Warehouse 1"), ("WH2", "Warehouse 2")])
        conn.executemany("INSERT INTO channel (code, name, profile, location) VALUES (?, ?, 'shopify', ?)",
                         [(f"CH{i}", f"Channel {i}", "WH1" if i < 2 else "WH2") for i in range(4)])
        conn.execute("INSERT INTO import_batch (id, kind, file_name, sha256, actor, started_at) "
                     "VALUES (1, 'orders', 'bench', 'bench', 'bench', '2026-11-20T00:00:00Z')")
        conn.execute("INSERT INTO calendar VALUES ('STD', 'Two shifts')")
        conn.executemany("INSERT INTO calendar_shift VALUES ('STD', ?, ?, ?)",
                         [(d, s, e) for d in range(5) for s, e in (("06:00", "14:00"), ("14:00", "22:00"))])
        conn.execute("INSERT INTO calendar_exception VALUES ('STD', '2026-12-24', '2026-12-26', NULL, 'holidays')")
        centers = ["CUT", "CNC", "LATHE", "WELD", "PAINT", "ASM"]
        conn.executemany("INSERT INTO work_center (code, name, units, calendar) VALUES (?, ?, 2, 'STD')",
                         [(c, c) for c in centers])
        rows, steps, bom = [], [], []
        for i in range(bought):
            rows.append((f"B{i:05d}", "raw", rng.choice((0, 0, 20)), rng.choice((0, 50, 100)), rng.randint(2, 20)))
        for i in range(parts):
            rows.append((f"P{i:05d}", "component", 0, 0, 0))
            steps.append((f"P{i:05d}", 10, "LATHE", 20, 2.0))
            bom.append((f"P{i:05d}", f"B{rng.randrange(bought):05d}", 0.5, 2))
        for i in range(subs):
            rows.append((f"S{i:05d}", "component", 0, 0, 0))
            steps += [(f"S{i:05d}", 10, "CNC", 30, 4.0), (f"S{i:05d}", 20, "WELD", 15, 3.0)]
            bom.append((f"S{i:05d}", f"P{rng.randrange(parts):05d}", 2, 5))
            bom.append((f"S{i:05d}", f"B{rng.randrange(bought):05d}", 1, 0))
        for i in range(skus):
            code = f"F{i:05d}"
            rows.append((code, "finished", rng.choice((0, 0, 0, 5)), rng.choice((0, 10)), 0))
            steps += [(code, 10, "PAINT", 20, 1.5), (code, 20, "ASM", 10, 5.0)]
            bom.append((code, f"S{rng.randrange(subs):05d}", 1, 2))
            if rng.random() < 0.3:                    # a part straight into the finished good: two levels
                bom.append((code, f"P{rng.randrange(parts):05d}", 1, 0))
            for b in rng.sample(range(bought), 2):
                bom.append((code, f"B{b:05d}", rng.choice((1, 2, 4)), 0))
        conn.executemany("INSERT INTO sku (code, name, kind, safety_stock, min_order_qty, lead_time_days, cost_minor, "
                         "price_minor) VALUES (?, ?, ?, ?, ?, ?, 1000, 2500)",
                         [(c, c, k, s, m, lt) for c, k, s, m, lt in rows])
        conn.executemany("INSERT INTO routing_step (sku, seq, work_center, setup_min, run_min) VALUES (?, ?, ?, ?, ?)",
                         steps)
        conn.executemany("INSERT OR IGNORE INTO bom_line VALUES (?, ?, ?, ?)", bom)
        parties = [(f"Buyer {i}",) for i in range(2000)]
        conn.executemany("INSERT INTO party (name) VALUES (?)", parties)
        conn.executemany("INSERT INTO customer (code, tier, party_id) VALUES (?, ?, ?)",
                         [(f"C{i}", rng.choice(("A", "B", "C", None)), i + 1) for i in range(2000)])
        orders, order_lines, n = [], [], 0
        while n < lines:
            oid = len(orders) + 1
            ship = (today + timedelta(days=rng.randint(-2, 21))).isoformat()
            orders.append((oid, f"CH{rng.randrange(4)}", f"#{oid}", "2026-11-20", "EUR", ship,
                           rng.choice((None, rng.randint(1, 2000)))))
            for k in range(rng.choice((1, 1, 2, 3))):
                if n == lines:
                    break
                sku = f"F{rng.randrange(skus):05d}"
                order_lines.append((oid, str(k), sku, sku, rng.randint(1, 5), rng.randint(1500, 4000)))
                n += 1
        conn.executemany("INSERT INTO sales_order (id, channel, external_id, ordered_on, currency, payment, fulfilment, "
                         "status, promised_ship_by, customer_id, first_batch_id, last_batch_id) "
                         "VALUES (?, ?, ?, ?, ?, 'paid', 'open', 'open', ?, ?, 1, 1)", orders)
        conn.executemany("INSERT INTO order_line (order_id, line_key, external_sku, sku, mapping, quantity, "
                         "unit_price_minor, payment, fulfilment, status, first_batch_id, last_batch_id) "
                         "VALUES (?, ?, ?, ?, 'sku', ?, ?, 'paid', 'open', 'open', 1, 1)", order_lines)
        moves = [(f"{c}", wh, rng.randint(1, 30)) for c, *_ in rows for wh in ("WH1", "WH2") if rng.random() < 0.4]
        conn.executemany("INSERT INTO stock_move (effective_at, recorded_at, sku, location, quantity, kind, actor) "
                         "VALUES ('2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', ?, ?, ?, 'opening', 'bench')", moves)
        pos = [(f"PO-{i}", "Supplier", rng.choice(("WH1", "WH2")),
                (today + timedelta(days=rng.randint(1, 20))).isoformat()) for i in range(bought // 2)]
        conn.executemany("INSERT INTO purchase_order (number, supplier, location, expected_on) VALUES (?, ?, ?, ?)", pos)
        conn.executemany("INSERT INTO purchase_line (po_id, sku, quantity) VALUES (?, ?, ?)",
                         [(i + 1, f"B{rng.randrange(bought):05d}", rng.randint(50, 500)) for i in range(len(pos))])
    db.close()
    return {"finished": skus, "subassemblies": subs, "parts": parts, "bought": bought, "orders": len(orders),
            "lines": lines}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--skus", type=int, default=5_000, help="finished SKUs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="keep the database here (default: a temporary folder, removed)")
    args = parser.parse_args()
    clock.pin(TODAY)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="plan-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "plan.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    shape = build(path, args.lines, args.skus, args.seed)
    print(f"built {shape} in {time.perf_counter() - started:.1f} s ({path})")

    conn = sqlite3.connect(path)
    started = time.perf_counter()
    groups = len(conn.execute(BASELINE_SQL).fetchall())
    floor = time.perf_counter() - started
    conn.close()

    from omnictl.planning.materials import check_materials
    from omnictl.planning.netting import plan_orders

    db = open_db(path)
    started, cpu = time.perf_counter(), time.process_time()
    first = plan_orders(db)
    ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    again = plan_orders(db)
    replan = time.perf_counter() - started
    started = time.perf_counter()
    report = check_materials(db)
    materials = time.perf_counter() - started
    levels = dict(db.query("SELECT reason, count(*) FROM production_order WHERE status = 'planned' GROUP BY 1"))
    operations = db.scalar("SELECT count(*) FROM operation")
    db.close()

    print(f"{'step':<58}{'seconds':>10}{'ratio':>9}")
    print(f"{'sqlite3: GROUP BY open demand per SKU and location':<58}{floor:>10.3f}{'1.0x':>9}   ({groups:,} groups)")
    print(f"{'plan orders, empty plan (netting, explosion, writes)':<58}{ours:>10.3f}{ours / floor:>8.1f}x   "
          f"({first.created:,} orders: {levels}; {operations:,} operations; {ours_cpu:.2f} s CPU)")
    print(f"{'plan orders again (all matched)':<58}{replan:>10.3f}{replan / floor:>8.1f}x   "
          f"({again.unchanged:,} unchanged, {again.created + again.resized + again.updated + again.cancelled} changed)")
    print(f"{'plan materials':<58}{materials:>10.3f}{materials / floor:>8.1f}x   "
          f"({report.short_orders:,} orders short)")
    target = "met" if ours < 5 else "NOT met"
    print(f"target: netting and explosion under 5 s: {target}")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ours < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
