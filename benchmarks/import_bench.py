"""Import benchmark for ``omnictl``.

What it measures
----------------
The script generates a synthetic Shopify ``orders_export.csv`` (the real
79-column layout: one row per line item, rows of an order adjacent,
order-level columns only on an order's first row) and imports that same file
three ways, each into a fresh SQLite database in the work directory:

* **floor**   - ``csv.DictReader`` over every column plus one ``sqlite3``
  ``executemany`` upsert of (order name, line number, sku, quantity, price)
  into a table with a unique key; WAL, ``synchronous=NORMAL``, one
  transaction.  This is about as fast as plain Python gets, so it is the
  floor that omnictl is compared with (target: omnictl time <= 2.5x floor).
* **peer**    - the ``sqlite-utils insert ... --csv`` CLI, a general-purpose
  tool doing the same job.  It is slow, so by default it runs on a smaller
  file (``--peer-lines``) made by the same generator with the same seed.
* **omnictl** - ``omnictl --db DB import FILE --profile shopify --json`` on an
  empty database, then the same command again on the same database (the
  "re-import is recognised" check, target < 1 s).

Every import runs as a child process (the floor via this script's hidden
``--floor-worker`` mode) so that wall time includes interpreter start-up for
all three alike, and so peak RSS can be read per child from ``os.wait4``.
``--memory-scaling`` repeats the omnictl import at N/4, N/2 and N lines to
show whether peak RSS stays flat as the input grows.

How to run
----------
    /work/venv/bin/python benchmarks/import_bench.py                 # 1M lines
    /work/venv/bin/python benchmarks/import_bench.py --lines 50000 --peer-lines 10000
    /work/venv/bin/python benchmarks/import_bench.py --skip-peer --memory-scaling --json

If the ``omnictl`` executable (next to ``sys.executable``) is missing or
fails, its stderr is printed and the floor and peer results are still shown.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,"
    "Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,"
    "Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,"
    "Lineitem price,Lineitem compare at price,Lineitem sku,"
    "Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Billing Address1,Billing Address2,"
    "Billing Company,Billing City,Billing Zip,Billing Province,Billing Country,"
    "Billing Phone,Shipping Name,Shipping Street,Shipping Address1,"
    "Shipping Address2,Shipping Company,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,"
    "Cancelled at,Payment Method,Payment Reference,Refunded Amount,Vendor,"
    "Outstanding Balance,Employee,Location,Device ID,Id,Tags,Risk Level,Source,"
    "Lineitem discount,Tax 1 Name,Tax 1 Value,Tax 2 Name,Tax 2 Value,"
    "Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,Tax 5 Value,"
    "Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,"
    "Payment ID,Payment Terms Name,Next Payment Due At,Payment References"
).split(",")
assert len(HEADER) == 79

N_SKUS = 50_000
N_CUSTOMERS = 100_000
FIRST_ORDER_NUMBER = 1001
FIRST_ORDER_ID = 5_600_000_000_000
START_TS = 1_704_081_600  # 2024-01-01 00:00:00 -0400
TZ_OFFSET, TZ_TEXT = -4 * 3600, "-0400"


def weighted(weights: dict) -> tuple:
    """A lookup table in which each key appears `weight` times."""
    return tuple(itertools.chain.from_iterable([k] * w for k, w in weights.items()))


ITEMS_PER_ORDER = weighted({1: 36, 2: 26, 3: 15, 4: 10, 5: 6, 6: 4, 7: 2, 8: 1})  # mean ~2.5
FINANCIAL = weighted({"paid": 85, "pending": 5, "refunded": 3,
                      "partially_refunded": 4, "voided": 3})
RISK = weighted({"Low": 92, "Medium": 6, "High": 2})
FIRST_NAMES = ("Ava Ben Chloe Dan Emma Finn Grace Hugo Isla Jack Kate Liam Mia "
               "Noah Olivia Paul Quinn Rosa Sam Tara Uma Victor Wendy Xavier "
               "Yara Zoe").split()
LAST_NAMES = ("Smith Jones Brown Garcia Miller Davis Lopez Wilson Moore Taylor "
              "Clark Lewis Walker Hall Young King Wright Scott Green Baker").split()
STREETS = ("Main Oak Pine Maple Cedar Elm Lake Hill Park Sunset River "
           "Washington").split()
STREET_KINDS = ["St", "Ave", "Rd", "Blvd", "Ln", "Dr"]
# (city, province code, province name, 3-digit zip prefix)
PLACES = [
    ("New York", "NY", "New York", "100"), ("Boston", "MA", "Massachusetts", "021"),
    ("Newark", "NJ", "New Jersey", "071"), ("Hartford", "CT", "Connecticut", "061"),
    ("Chicago", "IL", "Illinois", "606"), ("Austin", "TX", "Texas", "787"),
    ("Denver", "CO", "Colorado", "802"), ("Seattle", "WA", "Washington", "981"),
    ("Portland", "OR", "Oregon", "972"), ("Miami", "FL", "Florida", "331"),
    ("Atlanta", "GA", "Georgia", "303"), ("Phoenix", "AZ", "Arizona", "850"),
]
TAX_RATES = {"NY": 8, "MA": 6, "NJ": 7, "CT": 6, "IL": 9, "TX": 8, "CO": 3,
             "WA": 10, "OR": 0, "FL": 7, "GA": 4, "AZ": 6}
ADJECTIVES = "Classic Organic Vintage Slim Cozy Rugged Deluxe Everyday Heritage Urban".split()
PRODUCTS = "Tee Hoodie Mug Candle Backpack Cap Scarf Notebook Bottle Blanket Sock Apron".split()
COLOURS = "Black White Navy Olive Sand Rust Teal Grey".split()
SIZES = ["XS", "S", "M", "L", "XL"]
VENDORS = [f"{w} Co" for w in
           "Acme Northwind Bluebird Ironwood Meadow Pioneer Summit Harbor".split()]
SHIPPING_METHODS = [("Standard Shipping", 595), ("Express Shipping", 1495), ("Free Shipping", 0)]
PAYMENT_METHODS = weighted({"Shopify Payments": 8, "PayPal Express Checkout": 1, "manual": 1})
NOTES = weighted({"": 97, "Please gift wrap, thanks!": 1,
                  'Leave at the back door, "not" the front': 1, "Call on arrival\nbuzzer 4B": 1})
POS_COLUMNS, WEB_COLUMNS = ("Sam Clerk", "Main Store", "1234567"), ("", "", "")


class FastRandom(random.Random):
    """random.Random with cheap helpers; choice()/randint() dominate hot loops."""

    def pick(self, seq):
        return seq[int(self.random() * len(seq))]

    def between(self, lo: int, hi: int) -> int:
        return lo + int(self.random() * (hi - lo + 1))


def money(cents: int) -> str:
    """Shopify's plain money format: 1659.95"""
    return f"{cents // 100}.{cents % 100:02d}"


class Timestamps:
    """Formats epoch seconds as `2025-05-11 09:55:16 -0400`, caching the date part."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def __call__(self, ts: int) -> str:
        day, secs = divmod(ts + TZ_OFFSET, 86400)
        date = self._days.get(day)
        if date is None:
            date = self._days[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        h, rest = divmod(secs, 3600)
        return f"{date} {h:02d}:{rest // 60:02d}:{rest % 60:02d} {TZ_TEXT}"


def make_skus(rng: FastRandom) -> list[tuple]:
    """Per SKU: (price in cents, vendor, the constant Lineitem columns 17..22)."""
    skus = []
    for i in range(N_SKUS):
        price = rng.between(100, 6000) * 5
        compare = money(price * 6 // 5) if rng.random() < 0.2 else ""
        name = (f"{rng.pick(ADJECTIVES)} {rng.pick(PRODUCTS)} - "
                f"{rng.pick(COLOURS)} / {rng.pick(SIZES)}")
        columns = (name, money(price), compare, f"SKU-{i:06d}", "true", "true")
        skus.append((price, VENDORS[i % len(VENDORS)], columns))
    return skus


def make_address(rng: FastRandom, name: str, phone: str) -> tuple:
    """A Billing/Shipping block (10 columns), its province code and name."""
    city, prov, prov_name, zip_prefix = rng.pick(PLACES)
    addr1 = f"{rng.between(1, 9999)} {rng.pick(STREETS)} {rng.pick(STREET_KINDS)}"
    addr2 = f"Apt {rng.between(1, 40)}" if rng.random() < 0.25 else ""
    street = f"{addr1}, {addr2}" if addr2 else addr1
    company = "Example LLC" if rng.random() < 0.05 else ""
    zip_code = f"'{zip_prefix}{rng.between(0, 99):02d}"
    return (name, street, addr1, addr2, company, city, zip_code, prov, "US", phone), prov, prov_name


def make_customers(rng: FastRandom) -> list[tuple]:
    """Per customer: (email, phone, billing, shipping, province, province names)."""
    customers = []
    for i in range(N_CUSTOMERS):
        name = f"{rng.pick(FIRST_NAMES)} {rng.pick(LAST_NAMES)}"
        phone = f"+1 555-01{i % 10}-{rng.between(0, 9999):04d}"
        billing, prov, bprov_name = make_address(rng, name, phone)
        shipping, sprov_name = billing, bprov_name
        if rng.random() < 0.1:
            shipping, _, sprov_name = make_address(rng, name, phone)
        customers.append((f"buyer{i}@example.com", phone, billing, shipping,
                          prov, bprov_name, sprov_name))
    return customers


class OrderGenerator:
    """Yields CSV rows (tuples of 79 strings), one per line item."""

    EMPTY_13 = ("",) * 13    # Financial Status .. Shipping Method
    EMPTY_MID = ("",) * 26   # Billing Name .. Refunded Amount
    EMPTY_MID2 = ("",) * 8   # Outstanding Balance .. Source
    EMPTY_TAIL = ("",) * 19  # Tax 1 Name .. Payment References

    def __init__(self, seed: int) -> None:
        self.rng = FastRandom(seed)
        self.skus = make_skus(self.rng)
        self.customers = make_customers(self.rng)
        self.sku_cum = list(itertools.accumulate(1.0 / (r + 1) for r in range(N_SKUS)))
        self.sku_ids = range(N_SKUS)
        self.fmt_ts = Timestamps()
        self.orders = 0

    def rows(self, n_lines: int):
        remaining, ts = n_lines, START_TS
        for number in itertools.count(FIRST_ORDER_NUMBER):
            if remaining <= 0:
                return
            ts += self.rng.between(1, 120)
            k = min(self.rng.pick(ITEMS_PER_ORDER), remaining)
            yield from self.order_rows(number, ts, k)
            remaining -= k
            self.orders += 1

    def pick_skus(self, k: int) -> list[tuple]:
        """k distinct SKUs, Zipf-like popularity."""
        chosen: set[int] = set()
        while len(chosen) < k:
            chosen.update(self.rng.choices(self.sku_ids, cum_weights=self.sku_cum,
                                           k=k - len(chosen)))
        return [self.skus[i] for i in chosen]

    def order_rows(self, number: int, ts: int, k: int):
        rng, name = self.rng, f"#{number}"
        cust = rng.pick(self.customers)
        created = self.fmt_ts(ts)
        financial = rng.pick(FINANCIAL)
        fulfillment = self.fulfillment_status(financial, k)
        items = self.pick_skus(k)
        quantities = [1 if rng.random() < 0.8 else rng.between(2, 4) for _ in items]
        amounts = [item[0] * q for item, q in zip(items, quantities)]
        discounts = [a // 10 for a in amounts] if rng.random() < 0.1 else [0] * k
        later_head = (name, cust[0]) + self.EMPTY_13 + (created,)
        for i, (item, qty, disc) in enumerate(zip(items, quantities, discounts)):
            fulfilled = fulfillment == "fulfilled" or (fulfillment == "partial" and i == 0)
            line = (str(qty),) + item[2] + ("fulfilled" if fulfilled else "pending",)
            if i == 0:
                head, mid, mid2, tail = self.order_columns(
                    number, name, cust, ts, created, financial, fulfillment,
                    sum(amounts) - sum(discounts), sum(discounts))
            else:
                head, mid, mid2, tail = (later_head, self.EMPTY_MID,
                                         self.EMPTY_MID2, self.EMPTY_TAIL)
            yield head + line + mid + (item[1],) + mid2 + (money(disc),) + tail

    def fulfillment_status(self, financial: str, k: int) -> str:
        if financial in ("pending", "voided"):
            return "unfulfilled"
        roll = self.rng.random()
        if roll < 0.8:
            return "fulfilled"
        return "partial" if roll < 0.88 and k > 1 else "unfulfilled"

    def order_columns(self, number, name, cust, ts, created, financial,
                      fulfillment, subtotal, discount):
        """The order-level column groups that only the first row carries."""
        rng, fmt = self.rng, self.fmt_ts
        email, phone, billing, shipping, prov, bprov_name, sprov_name = cust
        method, ship = rng.pick(SHIPPING_METHODS)
        rate = TAX_RATES[prov]
        taxes = subtotal * rate // 100
        total = subtotal + ship + taxes
        paid = financial in ("paid", "refunded", "partially_refunded")
        refunded = {"refunded": total, "partially_refunded": total // 3}.get(financial, 0)
        order_id = str(FIRST_ORDER_ID + number)
        pay_ref = f"c{order_id}.1" if paid else ""
        pos = rng.random() < 0.05
        head = (
            name, email, financial, fmt(ts + 3) if paid else "", fulfillment,
            fmt(ts + rng.between(3600, 4 * 86400)) if fulfillment != "unfulfilled" else "",
            "yes" if rng.random() < 0.4 else "no", "USD", money(subtotal), money(ship),
            money(taxes), money(total), "SAVE10" if discount else "", money(discount),
            method, created)
        mid = billing + shipping + (
            rng.pick(NOTES), "", fmt(ts + 7200) if financial == "voided" else "",
            rng.pick(PAYMENT_METHODS), pay_ref, money(refunded))
        mid2 = ((money(total) if financial == "pending" else "0.00",)
                + (POS_COLUMNS if pos else WEB_COLUMNS)
                + (order_id, "VIP" if rng.random() < 0.03 else "", rng.pick(RISK),
                   "pos" if pos else "web"))
        tail = ((f"{prov} State Tax {rate}%", money(taxes)) + ("",) * 8 +
                (phone if rng.random() < 0.3 else "", "", "", bprov_name, sprov_name,
                 pay_ref, "", "", pay_ref))
        return head, mid, mid2, tail


def write_csv(path: Path, n_lines: int, seed: int) -> dict:
    """Writes the orders export; returns size/timing facts about it."""
    t0 = time.perf_counter()
    gen = OrderGenerator(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(gen.rows(n_lines))
    return {"path": str(path), "lines": n_lines, "orders": gen.orders,
            "bytes": path.stat().st_size, "seconds": time.perf_counter() - t0}


# --------------------------------------------------------------------------
# Floor: plain csv + sqlite3 (runs in a child process, see floor_worker)

FLOOR_DDL = """CREATE TABLE IF NOT EXISTS lines (
    order_name TEXT NOT NULL, line_no INTEGER NOT NULL, sku TEXT,
    quantity INTEGER, price TEXT, UNIQUE (order_name, line_no))"""
FLOOR_UPSERT = """INSERT INTO lines (order_name, line_no, sku, quantity, price)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (order_name, line_no) DO UPDATE SET
    sku = excluded.sku, quantity = excluded.quantity, price = excluded.price"""


def floor_rows(reader):
    prev, line_no = None, 0
    for row in reader:
        name = row["Name"]
        line_no = line_no + 1 if name == prev else 1
        prev = name
        yield (name, line_no, row["Lineitem sku"], int(row["Lineitem quantity"]),
               row["Lineitem price"])


def floor_import(db: str, csv_path: str) -> int:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(FLOOR_DDL)
    with open(csv_path, newline="", encoding="utf-8") as f:
        conn.execute("BEGIN")
        conn.executemany(FLOOR_UPSERT, floor_rows(csv.DictReader(f)))
        conn.execute("COMMIT")
    count = conn.execute("SELECT count(*) FROM lines").fetchone()[0]
    conn.close()
    return count


# --------------------------------------------------------------------------
# Child-process measurement
#
# Linux records the parent's peak RSS into a child's ru_maxrss at exec time
# (the child starts as a copy of the parent), so the parent must stay small:
# generation and the floor both run in worker children of this script.

@dataclass
class Run:
    cmd: list[str]
    seconds: float
    returncode: int
    maxrss_kb: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_measured(cmd: list[str]) -> Run:
    """Runs cmd; wall time plus the child's own peak RSS via os.wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(cmd, seconds, proc.returncode, usage.ru_maxrss,
                   out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                   usage.ru_utime + usage.ru_stime)


def fresh_db(workdir: Path, name: str) -> Path:
    db = workdir / name
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


def sibling_executable(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def result(step: str, lines: int, run: Run) -> dict:
    return {"step": step, "lines": lines, "ok": run.ok, "seconds": run.seconds,
            "lines_per_s": lines / run.seconds if run.ok else None,
            "peak_rss_mb": run.maxrss_kb / 1024, "returncode": run.returncode}


def generate_csv(path: Path, n_lines: int, seed: int) -> dict:
    run = run_measured([sys.executable, __file__, "--generate-worker",
                        str(path), str(n_lines), str(seed)])
    if not run.ok:
        raise SystemExit(f"generating {path} failed:\n{run.stderr}")
    return json.loads(run.stdout)


def bench_floor(workdir: Path, csv_path: Path, lines: int) -> dict:
    db = fresh_db(workdir, "floor.db")
    run = run_measured([sys.executable, __file__, "--floor-worker", str(db), str(csv_path)])
    if not run.ok:
        raise SystemExit(f"floor import failed:\n{run.stderr}")
    res = result("floor (csv + sqlite3)", lines, run)
    res["rows_in_db"] = int(run.stdout.strip())
    return res


def bench_peer(workdir: Path, csv_path: Path, lines: int) -> dict:
    db = fresh_db(workdir, "peer.db")
    sqlite3.connect(db).execute("PRAGMA journal_mode=WAL").close()
    run = run_measured([sibling_executable("sqlite-utils"), "insert", str(db), "lines",
                        str(csv_path), "--csv", "--no-detect-types", "--batch-size", "10000"])
    if not run.ok:
        print(f"peer (sqlite-utils) failed:\n{run.stderr}", file=sys.stderr)
    return result("peer (sqlite-utils)", lines, run)


def omnictl_import(exe: str, db: Path, csv_path: Path) -> Run:
    cmd = [exe, "--db", str(db), "import", str(csv_path),
           "--profile", "shopify", "--json"]
    try:
        return run_measured(cmd)
    except OSError as exc:  # executable missing or not runnable
        return Run(cmd, 0.0, -1, 0, "", f"{exc}\n")


def report_failure(label: str, run: Run) -> None:
    tail = "\n".join(run.stderr.strip().splitlines()[-25:])
    print(f"omnictl could not run ({label}, exit {run.returncode}): {' '.join(run.cmd)}\n"
          f"{tail}\n", file=sys.stderr)


def parse_json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()[:2000] or None


def bench_omnictl(exe: str, workdir: Path, csv_path: Path, lines: int) -> list[dict]:
    db = fresh_db(workdir, "omnictl.db")
    first = omnictl_import(exe, db, csv_path)
    if not first.ok:
        report_failure("import", first)
        return [result("omnictl import", lines, first)]
    second = omnictl_import(exe, db, csv_path)
    if not second.ok:
        report_failure("re-import", second)
    out = [result("omnictl import", lines, first), result("omnictl re-import", lines, second)]
    out[0]["output"], out[1]["output"] = parse_json(first.stdout), parse_json(second.stdout)
    out[1]["lines_per_s"] = None  # a recognised re-import does no per-line work
    return out


def bench_memory_scaling(exe: str, workdir: Path, main_csv: Path, lines: int,
                         seed: int) -> list[dict]:
    points = []
    for n in (lines // 4, lines // 2, lines):
        path = main_csv if n == lines else workdir / f"orders_{n}.csv"
        if n != lines:
            generate_csv(path, n, seed)
        run = omnictl_import(exe, fresh_db(workdir, f"omnictl_scale_{n}.db"), path)
        if not run.ok:
            report_failure(f"memory scaling at {n:,} lines", run)
        points.append(result(f"omnictl import @ {n:,}", n, run))
    return points


# --------------------------------------------------------------------------
# Reporting

def ratios(steps: dict[str, dict]) -> dict:
    floor, peer = steps.get("floor"), steps.get("peer")
    imp, reimp = steps.get("omnictl import"), steps.get("omnictl re-import")
    out = {}
    if floor and imp and imp["ok"]:
        out["omnictl_over_floor_time"] = imp["seconds"] / floor["seconds"]
    if floor and peer and peer["ok"]:
        out["floor_over_peer_lines_per_s"] = floor["lines_per_s"] / peer["lines_per_s"]
    if reimp and reimp["ok"]:
        out["reimport_seconds"] = reimp["seconds"]
    return out


def fmt_row(r: dict) -> str:
    if not r["ok"]:
        return f"{r['step']:<26}{r['lines']:>11,}   {'FAILED (exit ' + str(r['returncode']) + ')'}"
    rate = f"{r['lines_per_s']:,.0f}" if r["lines_per_s"] else "-"
    return (f"{r['step']:<26}{r['lines']:>11,}{r['seconds']:>10.2f}"
            f"{rate:>12}{r['peak_rss_mb']:>11.1f}")


def print_table(res: dict) -> None:
    gen = res["generated"]
    print(f"\nShopify orders_export.csv: {gen['lines']:,} lines, {gen['orders']:,} orders, "
          f"{gen['bytes'] / 1e6:,.1f} MB (generated in {gen['seconds']:.1f} s)")
    if res.get("peer_file"):
        pf = res["peer_file"]
        print(f"peer file: first {pf['lines']:,} lines, {pf['bytes'] / 1e6:,.1f} MB")
    print(f"\n{'step':<26}{'lines':>11}{'seconds':>10}{'lines/s':>12}{'RSS MB':>11}")
    print("-" * 70)
    for r in res["steps"].values():
        print(fmt_row(r))
    rt = res["ratios"]
    print()
    if "omnictl_over_floor_time" in rt:
        print(f"omnictl time / floor time : {rt['omnictl_over_floor_time']:.2f}  (target <= 2.5)")
    if "reimport_seconds" in rt:
        print(f"omnictl re-import         : {rt['reimport_seconds']:.2f} s  (target < 1 s)")
    if "floor_over_peer_lines_per_s" in rt:
        print(f"floor lines/s / peer lines/s: {rt['floor_over_peer_lines_per_s']:.1f}")
    if not res["omnictl_ok"]:
        print("omnictl could not run; see stderr above. Floor and peer results are valid.")
    if res.get("memory_scaling"):
        print("\nmemory scaling (omnictl import):")
        for r in res["memory_scaling"]:
            print(fmt_row(r))


# --------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lines", type=int, default=1_000_000, help="order lines to generate")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workdir", type=Path, help="keep files here (default: temp dir, removed)")
    p.add_argument("--peer-lines", type=int, default=100_000,
                   help="lines for the sqlite-utils run (0 = same file as the others)")
    p.add_argument("--skip-peer", action="store_true")
    p.add_argument("--memory-scaling", action="store_true",
                   help="also import N/4, N/2, N lines with omnictl and report peak RSS")
    p.add_argument("--json", action="store_true", help="print results as one JSON object")
    p.add_argument("--omnictl", default=sibling_executable("omnictl"),
                   help="omnictl executable (default: next to sys.executable)")
    p.add_argument("--floor-worker", nargs=2, metavar=("DB", "CSV"), help=argparse.SUPPRESS)
    p.add_argument("--generate-worker", nargs=3, metavar=("CSV", "LINES", "SEED"),
                   help=argparse.SUPPRESS)
    return p.parse_args(argv)


def run_benchmark(args: argparse.Namespace, workdir: Path) -> dict:
    log = (lambda *a: print(*a, file=sys.stderr, flush=True))
    log(f"generating {args.lines:,} lines in {workdir} ...")
    gen = generate_csv(workdir / "orders_export.csv", args.lines, args.seed)
    main_csv = Path(gen["path"])
    res: dict = {"generated": gen, "steps": {}, "peer_file": None}
    log("floor ...")
    res["steps"]["floor"] = bench_floor(workdir, main_csv, args.lines)
    if not args.skip_peer:
        peer_csv, peer_lines = main_csv, args.lines
        if 0 < args.peer_lines < args.lines:
            peer_lines = args.peer_lines
            res["peer_file"] = generate_csv(workdir / "orders_peer.csv", peer_lines, args.seed)
            peer_csv = Path(res["peer_file"]["path"])
        log(f"peer (sqlite-utils, {peer_lines:,} lines) ...")
        res["steps"]["peer"] = bench_peer(workdir, peer_csv, peer_lines)
    log("omnictl ...")
    omni = bench_omnictl(args.omnictl, workdir, main_csv, args.lines)
    res["omnictl_ok"] = all(r["ok"] for r in omni)
    for r in omni:
        res["steps"][r["step"]] = r
    if args.memory_scaling and res["omnictl_ok"]:
        log("memory scaling ...")
        res["memory_scaling"] = bench_memory_scaling(args.omnictl, workdir, main_csv,
                                                     args.lines, args.seed)
    res["ratios"] = ratios(res["steps"])
    return res


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.floor_worker:
        print(floor_import(*args.floor_worker))
        return 0
    if args.generate_worker:
        path, n_lines, seed = args.generate_worker
        print(json.dumps(write_csv(Path(path), int(n_lines), int(seed))))
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="omnictl-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        res = run_benchmark(args, workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(res, indent=2, default=str))
    else:
        print_table(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
