"""A whole company at scale: every everyday step timed on one database, with its peak memory.

Generates, at `--scale 1.0`, 1,000,000 Shopify order lines over the two years before
`--today` (import_bench.py's generator: Zipf-like SKU popularity, ~2.5 lines per order,
repeat customers), 50,000 sold SKUs (every third made in house from a routing, most of those
through a made subassembly, plus bought raw materials), 20 locations, work centers on a
two-shift calendar, and opening stock so that the made SKUs have nothing left on hand: the
open orders of the last twelve days then need about 5,000 production orders, which
`plan orders` creates. Everything except the number of locations grows with `--scale`.

Then each step runs as its own child process (wall time including interpreter start-up, peak
RSS of that child from `os.wait4`) and is printed beside the target named in its issue:

  master data + opening stock   `omnictl master import …`, `omnictl stock import-opening`
  import                        `omnictl import orders.csv --profile shopify` (beside
                                import_bench.py's csv + sqlite3 floor: issue 2, <= 2.5x)
  stock positions               `omnictl stock --json` (issue 4: within 2x of a sqlite3 GROUP BY)
  search                        search_bench.py's measure(): order number, phone, name (issue 3: < 50 ms)
  plan orders                   `omnictl plan orders` (issue 5: 50,000 open lines < 5 s)
  plan run                      `omnictl plan run` (issue 6: 2,000 orders < 5 s)
  close                         `omnictl close run` (issue 7: a day of 10,000 orders < 3 s)
  forecast run                  `omnictl forecast run` (issue 8: 5,000 SKUs x 730 days < 20 s)
  TUI first screen              tui_bench.py's headless child (issue 9: < 1 s)

The close and the TUI run when this build has them (`omnictl close run --help`,
`omnictl tui --help`); otherwise their row says "not available in this build".

    python benchmarks/scale.py                        # scale 1.0: 1,000,000 lines
    python benchmarks/scale.py --scale 0.1 --workdir /tmp/scale
    python benchmarks/scale.py --compare 0.25 1.0     # both sizes, growth ratio per step
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import import_bench  # noqa: E402  (the Shopify generator and the child-process measurement)
from import_bench import (  # noqa: E402
    FIRST_ORDER_NUMBER, HEADER, ITEMS_PER_ORDER, TZ_OFFSET, OrderGenerator, bench_floor, fresh_db, money,
    run_measured, sibling_executable,
)

FULL = {"lines": 1_000_000, "skus": 50_000, "customers": 100_000}
LOCATIONS = 20
HISTORY_DAYS = 730
OPEN_DAYS = 12          # orders of the last twelve days are still open
MADE_EVERY = 3          # every third sold SKU is made in house
SUBS_IN_THREE = 2       # two in three made SKUs need a made subassembly
WORK_CENTERS = 10
SEARCH_QUERIES = 31
COLUMN = {name: i for i, name in enumerate(HEADER)}


def sizes(scale: float) -> dict:
    return {k: max(10, round(v * scale)) for k, v in FULL.items()}


# -- generation (in a child process) ---------------------------------------------------------------

class TwoYearOrders(OrderGenerator):
    """import_bench's orders spread evenly over HISTORY_DAYS; all shipped but the last OPEN_DAYS'."""

    def __init__(self, seed: int, n_lines: int, today: date) -> None:
        super().__init__(seed)
        end = datetime(today.year, today.month, today.day, tzinfo=timezone.utc).timestamp() - TZ_OFFSET - 1
        self.first_ts = end - HISTORY_DAYS * 86400
        self.last_ts = end
        self.open_from = end - OPEN_DAYS * 86400
        orders = n_lines / statistics.mean(ITEMS_PER_ORDER)
        self.mean_gap = (end - self.first_ts) / orders
        self.now = self.first_ts

    def rows(self, n_lines: int):
        remaining, ts = n_lines, self.first_ts
        number = FIRST_ORDER_NUMBER
        while remaining > 0:
            ts = min(ts + self.rng.random() * 2 * self.mean_gap, self.last_ts)
            self.now = ts
            k = min(self.rng.pick(ITEMS_PER_ORDER), remaining)
            yield from self.order_rows(number, int(ts), k)
            remaining -= k
            number += 1
            self.orders += 1

    def fulfillment_status(self, financial: str, k: int) -> str:
        if self.now >= self.open_from:
            return "unfulfilled"
        return "unfulfilled" if financial == "voided" else "fulfilled"


def write_rows(path: Path, header: list[str], rows) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def generate(workdir: Path, scale: float, seed: int, today: date) -> dict:
    """Writes orders.csv and the master-data CSVs; returns the shape of the company."""
    import csv

    n = sizes(scale)
    import_bench.N_SKUS, import_bench.N_CUSTOMERS = n["skus"], n["customers"]
    gen = TwoYearOrders(seed, n["lines"], today)
    shipped: Counter = Counter()
    sku_col, qty_col, state_col = COLUMN["Lineitem sku"], COLUMN["Lineitem quantity"], \
        COLUMN["Lineitem fulfillment status"]

    def tallied(rows):
        for row in rows:
            if row[state_col] == "fulfilled":
                shipped[row[sku_col]] += int(row[qty_col])
            yield row

    with open(workdir / "orders.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(tallied(gen.rows(n["lines"])))

    codes = [s[2][3] for s in gen.skus]
    made = codes[::MADE_EVERY]
    subs = [f"SUB-{i:06d}" for i in range(max(1, len(made) // 6))]
    raws = [f"RAW-{i:06d}" for i in range(max(2, len(codes) // 50))]
    rng = gen.rng
    skus = [(code, s[2][0], "pcs", money(s[0] * 2 // 5), money(s[0]),
             "finished", 0, 1) for code, s in zip(codes, gen.skus)]
    skus += [(c, f"Subassembly {c}", "pcs", "4.00", "", "component", 0, 1) for c in subs]
    skus += [(c, f"Material {c}", "kg", "1.00", "", "raw", rng.between(3, 20), 10) for c in raws]
    write_rows(workdir / "skus.csv", ["sku", "name", "unit", "cost", "price", "kind", "lead_time_days",
                                      "min_order_qty"], skus)
    locations = [f"L{i:02d}" for i in range(1, LOCATIONS + 1)]
    write_rows(workdir / "locations.csv", ["location", "name", "kind"],
               [(code, f"Warehouse {code}", "warehouse") for code in locations])
    write_rows(workdir / "channels.csv", ["channel", "name", "profile", "location", "lead_time_days"],
               [("SHOP", "Web shop", "shopify", locations[0], 2)])
    write_rows(workdir / "calendars.csv", ["calendar", "name", "kind", "weekday", "starts", "ends"],
               [("STD", "Two shifts", "shift", "Mon-Fri", "06:00", "14:00"),
                ("STD", "Two shifts", "shift", "Mon-Fri", "14:00", "22:00")])
    centers = [f"WC{i:02d}" for i in range(WORK_CENTERS)]
    write_rows(workdir / "work-centers.csv", ["work_center", "name", "units", "calendar"],
               [(c, f"Work center {c}", 2, "STD") for c in centers])
    routings, boms = [], []
    for i, code in enumerate(made):
        routings += [(code, 10, centers[i % 4], 15, 1.5), (code, 20, centers[4 + i % 3], 5, 0.5)]
        boms.append((code, raws[i % len(raws)], 1))
        if i % 3 < SUBS_IN_THREE:
            boms.append((code, subs[i % len(subs)], 1))
    for i, code in enumerate(subs):
        routings.append((code, 10, centers[7 + i % 3], 20, 2.0))
        boms.append((code, raws[(i * 7) % len(raws)], 2))
    write_rows(workdir / "routings.csv", ["sku", "seq", "work_center", "setup_min", "run_min"], routings)
    write_rows(workdir / "boms.csv", ["parent", "component", "quantity"], boms)

    # Opening stock before the first order: made SKUs exactly what shipped since (none left today),
    # bought SKUs what shipped plus a fifth; a few SKUs also at other locations.
    made_set = set(made)
    opening = []
    for code in codes:
        sold = shipped.get(code, 0)
        opening.append((code, locations[0], sold if code in made_set else sold + sold // 5 + rng.between(0, 5)))
        for location in rng.sample(locations[1:], rng.between(0, 2)):
            opening.append((code, location, rng.between(1, 200)))
    opening += [(c, rng.pick(locations), rng.between(100, 5000)) for c in raws]
    write_rows(workdir / "opening.csv", ["sku", "location", "qty"], opening)
    return {"lines": n["lines"], "orders": gen.orders, "sold_skus": len(codes), "made_skus": len(made),
            "subassemblies": len(subs), "raw_materials": len(raws), "locations": LOCATIONS,
            "work_centers": WORK_CENTERS, "opening_rows": len(opening),
            "orders_csv_mb": round((workdir / "orders.csv").stat().st_size / 2**20, 1)}


# -- measured steps (in the parent) ----------------------------------------------------------------

class Runner:
    def __init__(self, exe: str, db: Path, workdir: Path, today: str) -> None:
        self.exe, self.db, self.workdir, self.today = exe, db, workdir, today
        self.startup = 0.0

    def omnictl(self, *args: str):
        return run_measured([self.exe, "--db", str(self.db), "--today", self.today, *args])

    def available(self, *command: str) -> bool:
        try:
            return subprocess.run([self.exe, *command, "--help"], capture_output=True).returncode == 0
        except OSError:
            return False


def step(name: str, runs: list, figure: str = "", target: str = "", met: bool | None = None,
         ok_codes: tuple = (0,)) -> dict:
    failed = [r for r in runs if r.returncode not in ok_codes]
    for r in failed:
        tail = "\n".join(r.stderr.strip().splitlines()[-15:])
        print(f"{name}: exit {r.returncode}: {' '.join(r.cmd)}\n{tail}", file=sys.stderr)
    return {"step": name, "ok": not failed, "seconds": sum(r.seconds for r in runs),
            "cpu_seconds": sum(r.cpu_seconds for r in runs), "peak_rss_mb": max(r.maxrss_kb for r in runs) / 1024, "figure": figure, "target": target,
            "met": None if failed else met}


def unavailable(name: str, target: str) -> dict:
    return {"step": name, "ok": None, "seconds": None, "cpu_seconds": None, "peak_rss_mb": None,
            "figure": "not available in this build", "target": target, "met": None}


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def step_master(run: Runner) -> dict:
    runs = [run.omnictl("config", "set", "company.currency", "USD")]
    for kind in ("locations", "channels", "skus", "calendars", "work-centers", "routings", "boms"):
        runs.append(run.omnictl("master", "import", kind, str(run.workdir / f"{kind}.csv"), "--strict", "--json"))
    start = (date.fromisoformat(run.today) - timedelta(days=HISTORY_DAYS + 1)).isoformat()
    runs.append(run.omnictl("stock", "import-opening", str(run.workdir / "opening.csv"), "--at", start, "--json"))
    return step("master data + opening stock", runs, f"{len(runs)} commands")


def step_import(run: Runner, lines: int, floor_s: float | None) -> dict:
    r = run.omnictl("import", str(run.workdir / "orders.csv"), "--profile", "shopify", "--channel", "SHOP",
                    "--json")
    figure = f"{lines / r.seconds:,.0f} lines/s"
    if floor_s:
        ratio = r.seconds / floor_s
        return step("import", [r], f"{figure}; {ratio:.1f}x the csv+sqlite3 floor ({floor_s:.1f} s)",
                    "<= 2.5x floor", ratio <= 2.5)
    return step("import", [r], figure, "<= 2.5x floor")


def step_startup(run: Runner) -> dict:
    runs = [run_measured([run.exe, "--version"]) for _ in range(3)]
    run.startup = statistics.median(r.seconds for r in runs)
    return step("start-up (omnictl --version)", runs[:1], "in every CLI step's time below")


def step_stock(run: Runner) -> dict:
    r = run.omnictl("stock", "--json")
    conn = sqlite3.connect(run.db)
    started = time.perf_counter()
    conn.execute("SELECT sku, location, sum(quantity) FROM stock_move GROUP BY sku, location").fetchall()
    floor = time.perf_counter() - started
    conn.close()
    ratio = max(r.seconds - run.startup, 0) / floor
    moves = count(run.db, "SELECT count(*) FROM stock_move")
    return step("stock positions", [r], f"{moves:,} moves; less start-up {ratio:.1f}x a sqlite3 GROUP BY "
                                        f"({floor:.2f} s)", "<= 2x GROUP BY", ratio <= 2)


def step_search(run: Runner, seed: int) -> dict:
    r = run_measured([sys.executable, __file__, "--search-worker", str(run.db), str(seed)])
    if r.returncode != 0:
        return step("search", [r])
    medians = json.loads(r.stdout)
    figure = ", ".join(f"{kind} {ms:.1f} ms" for kind, ms in medians.items())
    return step("search", [r], f"medians of {SEARCH_QUERIES}: {figure}", "< 50 ms each",
                max(medians.values()) < 50)


def search_worker(db_path: str, seed: int) -> None:
    from search_bench import measure, samples

    from omnictl.db import open_db

    db = open_db(db_path)
    conn = sqlite3.connect(db_path)
    drawn = samples(conn, SEARCH_QUERIES, seed)
    queries = {kind: drawn[kind] for kind in ("order number", "phone", "name")}
    measure(db, conn, {k: v[:3] for k, v in queries.items()})          # warm the page cache
    results = measure(db, conn, queries)
    print(json.dumps({r["kind"]: r["median_ms"] for r in results if r["kind"] in queries}))


def step_plan_orders(run: Runner) -> dict:
    open_lines = count(run.db, "SELECT count(*) FROM order_line WHERE fulfilment = 'open' AND mapping != 'unmapped'")
    r = run.omnictl("plan", "orders", "--json")
    made = count(run.db, "SELECT count(*) FROM production_order WHERE status = 'planned'")
    allowed = 5 * max(1.0, open_lines / 50_000)
    return step("plan orders", [r], f"{open_lines:,} open lines -> {made:,} production orders "
                                    f"(linear: {allowed:.0f} s)",
                "50,000 lines < 5 s", r.seconds < allowed)


def step_plan_run(run: Runner) -> dict:
    r = run.omnictl("plan", "run", "--json")
    orders = count(run.db, "SELECT count(*) FROM production_order WHERE status IN ('planned', 'released', 'started')")
    ops = count(run.db, "SELECT count(*) FROM operation")
    allowed = 5 * max(1.0, orders / 2_000)
    return step("plan run (schedule)", [r], f"{orders:,} orders, {ops:,} operations (linear: {allowed:.0f} s)",
                "2,000 orders < 5 s",
                r.seconds < allowed)


def step_close(run: Runner) -> dict:
    target = "10,000 orders/day < 3 s"
    if not run.available("close", "run"):
        return unavailable("close", target)
    day = (date.fromisoformat(run.today) - timedelta(days=1)).isoformat()
    per_day = count(run.db, f"SELECT count(*) FROM sales_order WHERE ordered_on LIKE '{day}%'")
    r = run.omnictl("close", "run", "--date", day, "--json")
    # exit 1 means the close found problems (it did its work); only 2 and worse are failures
    return step("close", [r], f"{per_day:,} orders on {day}", target, r.seconds < 3, ok_codes=(0, 1))


def step_forecast(run: Runner) -> dict:
    skus = count(run.db, "SELECT count(DISTINCT sku) FROM order_line WHERE sku IS NOT NULL")
    r = run.omnictl("forecast", "run", "--json")
    allowed = 20 * max(1.0, skus / 5_000)
    return step("forecast run", [r], f"{skus:,} SKUs x {HISTORY_DAYS} days (linear: {allowed:.0f} s)",
                "5,000 SKUs < 20 s", r.seconds < allowed)


def step_tui(run: Runner) -> dict:
    target = "< 1 s"
    bench = Path(__file__).resolve().parent / "tui_bench.py"
    if not run.available("tui") or not bench.exists():
        return unavailable("TUI first screen", target)
    cmd = [sys.executable, str(bench), "--child", str(run.db), "--keys", "0"]
    env = {**os.environ, "OMNICTL_TODAY": run.today}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    drawn = None
    for line in proc.stdout:
        if line.startswith("DRAWN") and drawn is None:
            drawn = time.perf_counter() - started
    _, status, usage = os.wait4(proc.pid, 0)
    stderr = proc.stderr.read()
    code = os.waitstatus_to_exitcode(status)
    result = import_bench.Run(cmd, drawn or 0.0, code if drawn else (code or 1), usage.ru_maxrss, "", stderr,
                              usage.ru_utime + usage.ru_stime)
    return step("TUI first screen", [result], "launch to the orders table drawn (headless, 160x48)", target,
                drawn is not None and drawn < 1)


def run_company(args: argparse.Namespace, scale: float, workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    gen = run_measured([sys.executable, __file__, "--generate-worker", str(workdir), str(scale), str(args.seed),
                        args.today])
    if gen.returncode != 0:
        raise SystemExit(f"generating the company failed:\n{gen.stderr}")
    shape = json.loads(gen.stdout)
    print(f"scale {scale:g}: {shape}", file=sys.stderr)
    steps = [step("generate (CSV files)", [gen], f"{shape['orders_csv_mb']} MB of orders")]
    floor_s = None
    if not args.skip_floor:
        floor_s = bench_floor(workdir, workdir / "orders.csv", shape["lines"])["seconds"]
    run = Runner(args.omnictl, fresh_db(workdir, "company.db"), workdir, args.today)
    steps.append(step_startup(run))
    steps.append(step_master(run))
    for measure in (lambda: step_import(run, shape["lines"], floor_s), lambda: step_stock(run),
                    lambda: step_search(run, args.seed), lambda: step_plan_orders(run), lambda: step_plan_run(run),
                    lambda: step_close(run), lambda: step_forecast(run), lambda: step_tui(run)):
        steps.append(measure())
        print(f"  {steps[-1]['step']}: {fmt_seconds(steps[-1]['seconds'])}", file=sys.stderr)
    return {"scale": scale, "shape": shape, "load_average": os.getloadavg(), "steps": steps}


# -- output ----------------------------------------------------------------------------------------

def fmt_seconds(s: float | None) -> str:
    return "-" if s is None else f"{s:.2f} s"


def fmt_mb(mb: float | None) -> str:
    return "-" if mb is None else f"{mb:.0f} MB"


def verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: ""}[met]


def print_company(res: dict) -> None:
    shape = res["shape"]
    print(f"\nscale {res['scale']:g}: {shape['lines']:,} lines, {shape['orders']:,} orders, {shape['sold_skus']:,} "
          f"sold SKUs ({shape['made_skus']:,} made), {shape['locations']} locations; "
          f"load average at the end {res['load_average'][0]:.1f} (2 cores, shared)")
    print(f"{'step':<30}{'time':>10}{'CPU':>10}{'peak RSS':>10}  {'target':<25}{'':<8}figure")
    for s in res["steps"]:
        print(f"{s['step']:<30}{fmt_seconds(s['seconds']):>10}{fmt_seconds(s['cpu_seconds']):>10}"
              f"{fmt_mb(s['peak_rss_mb']):>10}  "
              f"{s['target']:<25}{verdict(s['met']):<8}{s['figure']}")


def print_growth(small: dict, large: dict) -> None:
    data = large["shape"]["lines"] / small["shape"]["lines"]
    print(f"\ngrowth from scale {small['scale']:g} to {large['scale']:g} (data x{data:.1f}; linear growth is a ratio "
          "near that, fixed costs such as start-up make it smaller; CPU is the steadier figure on a shared machine)")
    print(f"{'step':<30}{'time ratio':>12}{'CPU ratio':>12}{'RSS ratio':>12}")
    for a, b in zip(small["steps"], large["steps"]):
        if a["seconds"] and b["seconds"]:
            cpu = b["cpu_seconds"] / a["cpu_seconds"] if a["cpu_seconds"] else float("nan")
            flag = "  FASTER THAN LINEAR" if cpu > 1.5 * data else ""
            print(f"{a['step']:<30}{b['seconds'] / a['seconds']:>11.1f}x{cpu:>11.1f}x"
                  f"{b['peak_rss_mb'] / a['peak_rss_mb']:>11.1f}x{flag}")
        else:
            print(f"{a['step']:<30}{'-':>12}{'-':>12}{'-':>12}")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1,000,000 lines, 50,000 SKUs")
    parser.add_argument("--compare", type=float, nargs=2, metavar=("SMALL", "LARGE"),
                        help="run two scales and print the growth ratio per step")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", default="2026-11-25", help="the pinned clock; the history ends the day before")
    parser.add_argument("--workdir", type=Path, help="keep files and databases here (default: a temp dir, removed)")
    parser.add_argument("--skip-floor", action="store_true", help="do not run the csv + sqlite3 import floor")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--omnictl", default=sibling_executable("omnictl"))
    parser.add_argument("--generate-worker", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--search-worker", nargs=2, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.generate_worker:
        folder, scale, seed, today = args.generate_worker
        print(json.dumps(generate(Path(folder), float(scale), int(seed), date.fromisoformat(today))))
        return 0
    if args.search_worker:
        search_worker(args.search_worker[0], int(args.search_worker[1]))
        return 0
    scales = args.compare or [args.scale]
    if any(not (0 < s <= 10) or math.isnan(s) for s in scales):
        raise SystemExit("--scale must be above 0 and at most 10")
    base = args.workdir or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    try:
        results = [run_company(args, s, base / f"scale-{s:g}") for s in scales]
    finally:
        if args.workdir is None:
            shutil.rmtree(base, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for res in results:
            print_company(res)
        if len(results) == 2:
            print_growth(*results)
    return 0 if all(s["ok"] is not False for res in results for s in res["steps"]) else 1


if __name__ == "__main__":
    sys.exit(main())
