"""Stock ledger at scale: 2,000,000 moves over 50,000 SKUs and 10 locations.

Times, each beside the same question asked of plain `sqlite3` over the covering index in
the same run and on the same file:
  - posting 10,000 moves through `inventory.post` (one transaction) vs a bare executemany;
  - the full stock position (`inventory.positions`, now and `--as-of`) vs GROUP BY over the index;
  - one SKU's position vs the one-SKU sum over the index (and its query plan: no ledger scan);
  - a 50,000-line count reconciliation (`reconcile.reconcile_file`, reading the file and
    building the report) vs a LEFT JOIN of the counts (already in a table) with the per-SKU sums.

    python benchmarks/stock_bench.py                      # 2,000,000 moves
    python benchmarks/stock_bench.py --moves 200000 --skus 5000
    python benchmarks/stock_bench.py --workdir /tmp/stock  # keep and reuse the database
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from omnictl import clock
from omnictl.db import open_db
from omnictl.inventory import Move, post, positions

LOCATIONS = 10
START = 1_730_000_000          # effective times spread over two years from here (epoch seconds)


def iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def build(path: Path, moves: int, skus: int, seed: int) -> None:
    rng = random.Random(seed)
    db = open_db(path)
    with db.write():
        db.conn.executemany("INSERT INTO location (code, name) VALUES (?, ?)",
                            [(f"L{i:02d}", f"Location {i}") for i in range(LOCATIONS)])
        db.conn.executemany("INSERT INTO sku (code, name, cost_minor, safety_stock) VALUES (?, ?, ?, ?)",
                            [(f"S{i:06d}", f"SKU {i}", rng.randint(100, 10_000), rng.choice((0, 0, 5)))
                             for i in range(skus)])
    kinds = ("receipt", "sale", "sale", "sale", "transfer", "adjustment")
    step = 200_000
    for start in range(0, moves, step):
        batch = []
        for n in range(start, min(start + step, moves)):
            kind = rng.choice(kinds)
            qty = rng.randint(1, 20) * (1 if kind == "receipt" else -1 if kind == "sale" else rng.choice((1, -1)))
            batch.append(Move(f"S{rng.randrange(skus):06d}", f"L{rng.randrange(LOCATIONS):02d}", qty, kind,
                              iso(START + n * 60_000_000 // moves * 1)))
        with db.write():
            post(db, batch, "bench")
    db.close()


def timed(call, repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def report(name: str, ours: float, floor: float) -> dict:
    ratio = ours / floor if floor else float("inf")
    print(f"{name:<44}{ours * 1000:>10.2f} ms{floor * 1000:>10.3f} ms{ratio:>8.1f}x")
    return {"step": name, "omnictl_s": ours, "sqlite3_s": floor, "ratio": ratio}


def bench(path: Path, skus: int, seed: int) -> list[dict]:
    rng = random.Random(seed + 1)
    db = open_db(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA cache_size = -65536")
    moves = conn.execute("SELECT count(*) FROM stock_move").fetchone()[0]
    print(f"{moves:,} moves, {skus:,} SKUs, {LOCATIONS} locations")
    print(f"{'step':<44}{'omnictl':>13}{'sqlite3':>13}{'ratio':>9}")
    results = []

    # posting 10,000 moves
    def ours_post():
        with db.write():
            post(db, [Move(f"S{rng.randrange(skus):06d}", "L00", 1, "adjustment", iso(START), reason="bench")
                      for _ in range(10_000)], "bench")
        with db.write():
            post(db, [Move(f"S{rng.randrange(skus):06d}", "L00", -1, "adjustment", iso(START), reason="bench")
                      for _ in range(10_000)], "bench")

    def floor_post():
        rows = [(iso(START), iso(START), f"S{rng.randrange(skus):06d}", "L01", 1, "adjustment", "bench", "bench")
                for _ in range(10_000)]
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO scratch_move VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")

    conn.execute("CREATE TEMP TABLE scratch_move (effective_at, recorded_at, sku, location, quantity, kind, "
                 "reason, actor)")
    conn.execute("CREATE INDEX temp.scratch_position ON scratch_move(sku, location, effective_at, quantity)")
    results.append(report("post 10,000 moves (x2, balances kept)", timed(ours_post, 1) / 2, timed(floor_post, 1)))

    group_by = "SELECT sku, location, sum(quantity) FROM stock_move GROUP BY sku, location"
    floor_full = timed(lambda: conn.execute(group_by).fetchall())
    results.append(report("full stock position", timed(lambda: positions(db)), floor_full))
    as_of = iso(START + 30_000_000)
    results.append(report("full stock position --as-of (ledger)", timed(lambda: positions(db, as_of=as_of)),
                          timed(lambda: conn.execute(group_by.replace("GROUP BY", "WHERE effective_at <= ? GROUP BY"),
                                                     (as_of,)).fetchall())))

    picks = [f"S{rng.randrange(skus):06d}" for _ in range(200)]
    one_sql = "SELECT location, sum(quantity) FROM stock_move WHERE sku = ? GROUP BY location"
    ours_one = statistics.median(timed(lambda s=s: positions(db, sku=s), 1) for s in picks)
    floor_one = statistics.median(timed(lambda s=s: conn.execute(one_sql, (s,)).fetchall(), 1) for s in picks)
    results.append(report("one SKU's position (median of 200)", ours_one, floor_one))
    ours_one_as_of = statistics.median(timed(lambda s=s: positions(db, sku=s, as_of=as_of), 1) for s in picks)
    results.append(report("one SKU's position --as-of (median of 200)", ours_one_as_of, floor_one))
    plan = conn.execute("EXPLAIN QUERY PLAN SELECT sku, location, sum(quantity) FROM stock_move INDEXED BY "
                        "stock_move_position WHERE sku = ? AND effective_at <= ? GROUP BY sku, location",
                        ("S000001", as_of)).fetchall()
    print("  one-SKU as-of plan:", "; ".join(row[-1] for row in plan))

    results += bench_count(db, conn, skus, rng)
    db.close()
    conn.close()
    return results


def bench_count(db, conn, skus: int, rng: random.Random) -> list[dict]:
    from omnictl.reconcile import reconcile_file

    folder = Path(tempfile.mkdtemp())
    count_file = folder / "count.csv"
    with open(count_file, "w", encoding="utf-8") as f:
        f.write("sku,location,qty\n")
        for i in range(min(50_000, skus)):
            f.write(f"S{i:06d},L03,{rng.randint(0, 50)}\n")
    floor_sql = """
        WITH counted(sku, qty) AS (SELECT sku, qty FROM temp.counts),
             book AS (SELECT sku, sum(quantity) AS q FROM stock_move WHERE location = 'L03' GROUP BY sku)
        SELECT c.sku, coalesce(b.q, 0), c.qty, c.qty - coalesce(b.q, 0)
        FROM counted c LEFT JOIN book b ON b.sku = c.sku WHERE c.qty != coalesce(b.q, 0)"""
    conn.execute("CREATE TEMP TABLE counts (sku, qty)")
    conn.executemany("INSERT INTO temp.counts VALUES (?, ?)",
                     [line.split(",")[::2] for line in count_file.read_text().splitlines()[1:]])
    floor = timed(lambda: conn.execute(floor_sql).fetchall())
    ours = timed(lambda: reconcile_file(db, count_file, kind="count", location="L03", actor="bench"), 1)
    return [report("count reconciliation, 50,000 lines", ours, floor)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=2_000_000)
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    clock.pin("2026-11-25")
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / f"stock-{args.moves}-{args.skus}.db"
        if not path.exists():
            started = time.perf_counter()
            build(path, args.moves, args.skus, args.seed)
            print(f"built {args.moves:,} moves in {time.perf_counter() - started:.1f} s (inventory.post, "
                  "200,000 per transaction)", file=sys.stderr)
        bench(path, args.skus, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
