"""Order search on a million lines: omnictl's ranked search against a plain indexed lookup.

Builds (or reuses) a database from the synthetic Shopify export of import_bench.py, then
times `search_orders` for order numbers, phones, emails, names and SKUs drawn from the data,
and beside each the single indexed `sqlite3` query that answers the narrowest form of the same
question, in the same process on the same file. Prints medians, p95 and the ratio.

    python benchmarks/search_bench.py                         # 1,000,000 lines
    python benchmarks/search_bench.py --lines 100000 --queries 51
    python benchmarks/search_bench.py --workdir /tmp/sb       # keep and reuse the database
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_bench import write_csv  # noqa: E402  (the same synthetic Shopify export)

from omnictl.db import open_db  # noqa: E402
from omnictl.importer import import_files  # noqa: E402
from omnictl.search import customer_view, search_orders  # noqa: E402

TARGET_MS = 50.0

# The narrowest indexed query for each kind, as someone would write it by hand.
BASELINE_SQL = {
    "order number": "SELECT * FROM sales_order WHERE external_id = ?",
    "phone": "SELECT o.* FROM party p JOIN sales_order o ON o.party_id = p.id WHERE p.phone_key = ?",
    "email": "SELECT o.* FROM party p JOIN sales_order o ON o.party_id = p.id WHERE p.email_key = ?",
    "name": "SELECT o.* FROM party_name_search s JOIN sales_order o ON o.party_id = s.rowid "
            "WHERE party_name_search MATCH ? LIMIT 50",
    "sku": "SELECT o.* FROM order_line l JOIN sales_order o ON o.id = l.order_id WHERE l.external_sku = ? "
           "ORDER BY o.ordered_on DESC LIMIT 50",
}


def build(workdir: Path, lines: int, seed: int) -> Path:
    db_path = workdir / f"search-{lines}.db"
    if db_path.exists():
        return db_path
    csv_path = workdir / f"orders-{lines}.csv"
    if not csv_path.exists():
        print(f"generating {lines:,} lines …", file=sys.stderr)
        write_csv(csv_path, lines, seed)
    print("importing with omnictl …", file=sys.stderr)
    started = time.perf_counter()
    db = open_db(db_path)
    import_files(db, [csv_path], profile="shopify")
    db.close()
    print(f"imported in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return db_path


def samples(conn: sqlite3.Connection, n: int, seed: int) -> dict[str, list[tuple[str, str]]]:
    """(text a user types, baseline parameter) per kind, drawn from the data."""
    rng = random.Random(seed)

    def pick(sql: str) -> list[tuple]:
        top = conn.execute("SELECT max(id) FROM order_line").fetchone()[0]
        rows, tries = [], 0
        while len(rows) < n and tries < 100 * n:
            tries += 1
            row = conn.execute(sql, (rng.randint(1, top),)).fetchone()
            if row is not None and row[0]:
                rows.append(row)
        return rows

    orders = pick("SELECT o.external_id FROM order_line l JOIN sales_order o ON o.id = l.order_id WHERE l.id = ?")
    parties = "FROM order_line l JOIN sales_order o ON o.id = l.order_id JOIN party p ON p.id = o.party_id " \
              "WHERE l.id = ?"
    phones = pick(f"SELECT p.phone, p.phone_key {parties} AND p.phone_key IS NOT NULL")
    emails = pick(f"SELECT p.email, p.email_key {parties} AND p.email_key IS NOT NULL")
    names = pick(f"SELECT p.name {parties} AND p.name IS NOT NULL")
    skus = pick("SELECT coalesce(sku, external_sku) FROM order_line WHERE id = ?")
    return {
        "order number": [(o[0].lstrip("#"), o[0]) for o in orders],        # typed without '#'
        "phone": [(p[0], p[1]) for p in phones],
        "email": [(e[0].upper(), e[1]) for e in emails],
        "name": [(nm[0], " ".join(f'"{w}"' for w in nm[0].split())) for nm in names],
        "sku": [(s[0], s[0]) for s in skus],
    }


def timed(call) -> tuple[float, int]:
    started = time.perf_counter()
    count = call()
    return (time.perf_counter() - started) * 1000, count


def measure(db, conn: sqlite3.Connection, queries: dict) -> list[dict]:
    results = []
    for kind, pairs in queries.items():
        ours, base, hits = [], [], []
        for text, param in pairs:
            ms, count = timed(lambda: len(search_orders(db, text)))
            ours.append(ms)
            hits.append(count)
            ms, _ = timed(lambda: len(conn.execute(BASELINE_SQL[kind], (param,)).fetchall()))
            base.append(ms)
        results.append({
            "kind": kind, "queries": len(pairs), "median_ms": statistics.median(ours),
            "p95_ms": sorted(ours)[int(0.95 * (len(ours) - 1))], "baseline_median_ms": statistics.median(base),
            "ratio": statistics.median(ours) / max(statistics.median(base), 1e-6),
            "median_hits": statistics.median(hits),
        })
    customers = [text for text, _ in queries["phone"]]
    ms = [timed(lambda: len(customer_view(db, text).orders))[0] for text in customers]
    results.append({"kind": "customers show (phone)", "queries": len(ms), "median_ms": statistics.median(ms),
                    "p95_ms": sorted(ms)[int(0.95 * (len(ms) - 1))], "baseline_median_ms": None, "ratio": None,
                    "median_hits": None})
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=101, help="queries per kind")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, help="keep the database here (reused when present)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        db_path = build(workdir, args.lines, args.seed)
        db = open_db(db_path)
        conn = sqlite3.connect(db_path)
        lines = conn.execute("SELECT count(*) FROM order_line").fetchone()[0]
        queries = samples(conn, args.queries, args.seed)
        measure(db, conn, {k: v[:5] for k, v in queries.items()})          # warm the page cache
        results = measure(db, conn, queries)
        db.close()
        conn.close()
    if args.json:
        print(json.dumps({"lines": lines, "results": results}, indent=2))
        return 0
    print(f"{lines:,} order lines; target: median under {TARGET_MS:.0f} ms")
    print(f"{'search by':<24}{'median':>9}{'p95':>9}{'sqlite3':>10}{'ratio':>8}{'hits':>7}")
    for r in results:
        base = f"{r['baseline_median_ms']:.2f}" if r["baseline_median_ms"] is not None else "-"
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] is not None else "-"
        hits = f"{r['median_hits']:.0f}" if r["median_hits"] is not None else "-"
        print(f"{r['kind']:<24}{r['median_ms']:>7.2f}ms{r['p95_ms']:>7.2f}ms{base:>8}ms{ratio:>8}{hits:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
