"""Hostile input: every file reader fed random and mutated real exports, and formula escaping.

The fuzz cases start from real headers: our own fixtures under tests/fixtures, the demo's
rendered exports and, when ../shared is there, the real channel exports (read in place, never
copied). Each case runs one reader on a copy of the demo company and asserts: only omnictl's
domain errors (never another exception), a file error names the file, a result serialises,
messages stay readable, the case takes bounded time, and a refused file changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import random
import re
import shutil
import subprocess
import sys
import time
import tracemalloc
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnictl import clock
from omnictl.channels.catalog import detect_file
from omnictl.db import open_db
from omnictl.errors import InputFileError, OmnictlError, StrictRejects
from omnictl.feeds import export_channel_stock, reconcile_channel
from omnictl.files import FORMULA_START, safe_cell, unescape_cell
from omnictl.forecast.run import import_sales
from omnictl.fx import import_rates
from omnictl.importer import import_files
from omnictl.master import import_master
from omnictl.purchases import import_purchases, receive
from omnictl.reconcile import import_opening, reconcile_file
from omnictl.shopfloor import import_shopfloor

from conftest import CHANNEL_FIXTURES, OWN_FIXTURES, ROOT, TODAY

# hypothesis cases over every reader; with the rest, the file runs in well under a minute.
# OMNICTL_FUZZ_EXAMPLES=3000 runs a longer campaign; derandomized, each run tries the same cases.
FUZZ_EXAMPLES = int(os.environ.get("OMNICTL_FUZZ_EXAMPLES", "200"))
CASE_SECONDS = 5.0             # one case, on a loaded two-core machine
BIG_CASE_SECONDS = 15.0        # a 10 MB line or 100,000 columns
# CPython's csv module holds a field as 4-byte characters in a buffer that doubles: a 10 MB line
# peaks near 84 MiB while read, and near 60 MiB more when its raw text is kept for a reject.
BIG_CASE_PEAK_BYTES = 256 << 20
MESSAGE_MAX = 1200             # an error or reject reason a person can read (errors.brief cuts at 1000)
FORMULAS = ("=cmd|' /C calc'!A0", "+SUM(1)", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("http://x.example","y")',
            "\t=1+1", "\r=1+1", "=1+1")
HOSTILE_TEXTS = FORMULAS + ("", " ", "\x00", "\x00\x01\x02\x1b[31m", "'", '"', '""', "\u202e", "\ufeff",
                            "#REF!", "NaN", "-0", "1e999", "9" * 400, "1,234.5", "١٢٣", "０１２",
                            "2026-13-45", "../../etc/passwd", "%s%n", "\\N", "NULL", "True", "𝟙𝟚", "\ud800")


# -- the readers ---------------------------------------------------------------------------

class Reader:
    """One file reader as a domain call `run(db, path, strict)`; `strict` readers take --strict."""

    def __init__(self, run: Callable, seeds: list[Path], strict: bool = True, read_only: bool = False):
        self.run, self.seeds, self.strict, self.read_only = run, seeds, strict, read_only

    def __repr__(self) -> str:                     # what hypothesis prints for a failing case
        return f"Reader({len(self.seeds)} seeds)"


def _demo_exports(company: Path, *names: str) -> list[Path]:
    return [company / "demo-exports" / name for name in names]


def _shared(*patterns: str) -> list[Path]:
    if not CHANNEL_FIXTURES.exists():
        return []
    return sorted(p for pattern in patterns for p in CHANNEL_FIXTURES.glob(pattern)
                  if p.suffix != ".md" and "header_only" not in p.name)


def readers(company: Path) -> dict[str, Reader]:
    master = ROOT / "sample_data" / "master"
    own = OWN_FIXTURES
    sales = company / "sales_forecast.csv"
    orders = sorted(p for p in own.glob("*/*") if p.suffix in (".csv", ".txt") and p.parent.name not in
                    ("feeds", "fx", "purchases", "shopfloor", "stock", "upgrade"))
    return {
        "import": Reader(lambda db, p, strict: import_files(db, [p], strict=strict),
                         orders + _demo_exports(company, "orders_export_1.csv", "AllOrdersReport_20261125.txt",
                                                "微信订单登记表.xlsx", "pos_ST-HZ_20261125.csv")
                         + _shared("*/*.csv", "*/*.txt", "*/*.tsv")),
        "channels detect": Reader(lambda db, p, strict: detect_file(db, p),
                                  orders[::3] + _demo_exports(company, "微信订单登记表.xlsx"), strict=False,
                                  read_only=True),
        **{f"master {kind}": Reader(lambda db, p, strict, kind=kind: import_master(db, kind, p, strict=strict),
                                    [master / f"{kind.replace('-', '_')}.csv"])
           for kind in ("skus", "locations", "channels", "aliases", "customers", "work-centers", "routings",
                        "boms")},
        "purchases import": Reader(lambda db, p, strict: import_purchases(db, p, strict=strict),
                                   sorted(own.glob("purchases/po_*.csv"))
                                   + _demo_exports(company, "purchase_orders.csv")),
        "stock receive": Reader(lambda db, p, strict: receive(db, p, strict=strict),
                                sorted(own.glob("purchases/receipts*.csv"))),
        "stock import-opening": Reader(lambda db, p, strict: import_opening(db, p, location="WH-NB"),
                                       [ROOT / "sample_data" / "stock" / "opening.csv"], strict=False),
        "reconcile count": Reader(lambda db, p, strict: reconcile_file(db, p, kind="count", location="WH-HZ",
                                                                       apply=strict, reason="fuzz"),
                                  sorted(own.glob("stock/*.csv")) + _demo_exports(company, "count_wh_hz.csv")),
        "reconcile snapshot": Reader(lambda db, p, strict: reconcile_file(db, p, kind="snapshot", location="WH-NB"),
                                     sorted(own.glob("stock/*.txt")) + [own / "stock" / "shopify_inventory.csv"]
                                     + _demo_exports(company, "shopify_inventory_export.csv")
                                     + _shared("inventory/*"), strict=False),
        "reconcile channel": Reader(lambda db, p, strict: reconcile_channel(db, "shopify", p),
                                    sorted(own.glob("feeds/*.csv")) + sorted(own.glob("feeds/*.txt")),
                                    strict=False, read_only=True),
        "stock export-channel --template": Reader(
            lambda db, p, strict: export_channel_stock(db, "shopify", p.with_name("feed.csv"), template=p),
            _demo_exports(company, "shopify_inventory_export.csv"), strict=False, read_only=True),
        "shopfloor import": Reader(lambda db, p, strict: import_shopfloor(db, p, strict=strict),
                                   sorted(own.glob("shopfloor/*.csv"))),
        "fx import": Reader(lambda db, p, strict: import_rates(db, p, strict=strict), sorted(own.glob("fx/*"))),
        "forecast import-sales": Reader(lambda db, p, strict: import_sales(db, p), [sales], strict=False),
    }


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> Path:
    """The demo company, built once; each case imports into a fresh copy of its database."""
    from omnictl.channels import profile
    from omnictl.demo import build_demo

    folder = tmp_path_factory.mktemp("company")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMNICTL_TODAY", TODAY)
        patch.setenv("OMNICTL_PROFILES", str(folder / "no-user-profiles"))
        profile._cache = None
        clock.pin(TODAY)
        build_demo(folder / "demo.db")
        clock.pin(None)
    (folder / "sales_forecast.csv").write_text("sku,period,quantity\nQS-DL-OAK,2026-12,40\nBULB-E27,2026-12,5\n"
                                               "QS-DL-WAL,2027-01,12\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def figures():
    """What the cases measured; printed at the end (pytest -s shows it)."""
    seen = Figures()
    yield seen
    print(f"\nfuzz: {seen.summary()}")


@dataclass(repr=False)
class Figures:
    cases: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    slowest: tuple[float, str] = (0.0, "")
    peak: tuple[int, str] = (0, "")
    cli_peak: tuple[int, str] = (0, "")       # KiB of RSS, the CLI's whole process

    def add(self, outcome: Outcome, what: str) -> None:
        self.cases += 1
        self.outcomes[outcome.kind] = self.outcomes.get(outcome.kind, 0) + 1
        if not outcome.kind.startswith("cli"):           # a CLI case's time is mostly Python starting up
            self.slowest = max(self.slowest, (outcome.seconds, what))
        self.peak = max(self.peak, (outcome.peak_bytes, what))

    def summary(self) -> str:
        return (f"{self.cases} cases {self.outcomes}; slowest in-process {self.slowest[0]:.2f} s ({self.slowest[1]}); "
                f"memory peak {self.peak[0] / 2**20:.1f} MiB ({self.peak[1]}); "
                f"CLI peak RSS {self.cli_peak[0] / 1024:.0f} MiB ({self.cli_peak[1]})")


ILLEGAL_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# -- mutations of a real export ---------------------------------------------------------------

def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeError:
            continue
    return data.decode("latin-1")


def _separator(line: str) -> str:
    return max(("\t", ",", ";"), key=line.count)


def _edit_cells(data: bytes, rng: random.Random, edit: Callable[[str, random.Random], str]) -> bytes:
    """Change one cell in about half the data rows (CSV/TSV written back as UTF-8)."""
    lines = _text(data).split("\n")
    separator = _separator(lines[0])
    for i in range(1, len(lines)):
        if lines[i] and rng.random() < 0.5:
            cells = lines[i].split(separator)
            k = rng.randrange(len(cells))
            cells[k] = edit(cells[k], rng)
            lines[i] = separator.join(cells)
    return "\n".join(lines).encode("utf-8", errors="surrogatepass")


def _header_cells(data: bytes) -> tuple[list[str], str, list[str]]:
    lines = _text(data).split("\n")
    separator = _separator(lines[0])
    return lines[0].split(separator), separator, lines[1:]


def truncated(data, rng):
    return data[:rng.randrange(len(data))]


def reencoded(data, rng):
    encoding = rng.choice(["gbk", "latin-1", "cp1252", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "shift_jis"])
    return _text(data).encode(encoding, errors="replace")


def bom_stripped_or_added(data, rng):
    if data.startswith(codecs.BOM_UTF8):
        return data[3:]
    return rng.choice([codecs.BOM_UTF8, codecs.BOM_UTF8 * 2, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]) + data


def huge_field(data, rng):
    """One cell of 70 KB or 1 MB (files over 4 MB, mapped by a forked child, are the big cases' and the CLI's)."""
    lines = _text(data).split("\n")
    rows = [i for i, line in enumerate(lines) if i and line.strip()] or [0]
    i = rng.choice(rows)
    separator = _separator(lines[0])
    cells = lines[i].split(separator)
    k = rng.randrange(len(cells))
    cells[k] += "x" * rng.choice([70_000, 1 << 20])
    lines[i] = separator.join(cells)
    return "\n".join(lines).encode("utf-8", errors="surrogatepass")


def formulas(data, rng):
    return _edit_cells(data, rng, lambda cell, r: r.choice(FORMULAS) + (cell if r.random() < 0.5 else ""))


def hostile_cells(data, rng):
    def edit(cell, r):
        if r.random() < 0.5:
            return r.choice(HOSTILE_TEXTS)
        return "".join(chr(r.choice([r.randrange(0, 0x80), r.randrange(0x80, 0x30000)]))
                       for _ in range(r.randrange(1, 12)))
    return _edit_cells(data, rng, edit)


def control_characters(data, rng):
    out = bytearray(data)
    for _ in range(rng.randrange(1, 20)):
        out.insert(rng.randrange(len(out) + 1), rng.choice([0, 1, 7, 8, 11, 12, 13, 26, 27, 127, 0x85]))
    return bytes(out)


def stray_quotes(data, rng):
    out = bytearray(data)
    for _ in range(rng.randrange(1, 5)):
        out.insert(rng.randrange(len(out) + 1), ord('"'))
    return bytes(out)


def duplicated_header(data, rng):
    header, separator, rest = _header_cells(data)
    header.insert(rng.randrange(len(header) + 1), rng.choice(header))
    return "\n".join([separator.join(header), *rest]).encode("utf-8", errors="surrogatepass")


def missing_header(data, rng):
    header, separator, rest = _header_cells(data)
    if len(header) > 1:
        del header[rng.randrange(len(header))]
    return "\n".join([separator.join(header), *rest]).encode("utf-8", errors="surrogatepass")


def header_only(data, rng):
    return data.split(b"\n")[0] + b"\n"


def no_header(data, rng):
    return b"\n".join(data.split(b"\n")[1:])


def rows_repeated_and_shuffled(data, rng):
    lines = data.split(b"\n")
    body = lines[1:] * rng.choice([1, 2])
    rng.shuffle(body)
    return b"\n".join([lines[0], *body])


def old_mac_line_ends(data, rng):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")


def flipped_bytes(data, rng):
    out = bytearray(data)
    for _ in range(rng.randrange(1, 30)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def random_bytes(data, rng):
    return rng.randbytes(rng.randrange(1, 4000))


def empty(data, rng):
    return rng.choice([b"", b"\n\n \r\n\t\n", codecs.BOM_UTF8])


def xlsx_not_a_zip(data, rng):
    return b"PK\x03\x04" + rng.randbytes(rng.randrange(0, 3000))


def zip_not_a_workbook(data, rng):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", data[:2000])
    return out.getvalue()


def old_excel(data, rng):
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + data


def workbook(data, rng):
    """The seed as an XLSX (a real one as it is), some cells replaced by formulas a spreadsheet would run."""
    if data.startswith(b"PK"):
        return data
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    lines = _text(data).splitlines()
    separator = _separator(lines[0]) if lines else ","
    for i, line in enumerate(csv.reader(lines, delimiter=separator)):
        if i and line and rng.random() < 0.3:
            line[rng.randrange(len(line))] = rng.choice(FORMULAS[:5])
        sheet.append([ILLEGAL_IN_XML.sub("", cell) for cell in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def damaged_workbook(data, rng):
    """A workbook of the seed with one member cut, garbled or removed."""
    source = zipfile.ZipFile(io.BytesIO(workbook(data, rng)))
    names = source.namelist()
    victim = rng.choice(names)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            member = source.read(name)
            if name == victim:
                how = rng.randrange(3)
                if how == 0:
                    continue
                member = member[:rng.randrange(len(member) + 1)] if how == 1 else flipped_bytes(member, rng)
            archive.writestr(name, member)
    return out.getvalue()


# name -> (mutation, the file name's suffix: None keeps the seed's)
MUTATIONS: dict[str, tuple[Callable, str | None]] = {
    f.__name__: (f, suffix) for f, suffix in [
        (truncated, None), (reencoded, None), (bom_stripped_or_added, None), (huge_field, None), (formulas, None),
        (hostile_cells, None), (control_characters, None), (stray_quotes, None), (duplicated_header, None),
        (missing_header, None), (header_only, None), (no_header, None), (rows_repeated_and_shuffled, None),
        (old_mac_line_ends, None), (flipped_bytes, None), (random_bytes, None), (empty, None),
        (xlsx_not_a_zip, ".xlsx"), (zip_not_a_workbook, ".xlsx"), (old_excel, ".xls"),
        (workbook, ".xlsx"), (damaged_workbook, ".xlsx"),
    ]
}


def ten_mb_line(data: bytes) -> bytes:
    """The seed's header, then one line of 10 MB (one field), then the seed's rows."""
    lines = data.split(b"\n")
    return b"\n".join([lines[0], b"A" * (10 << 20), *lines[1:]])


def hundred_thousand_columns(data: bytes) -> bytes:
    """The seed's header widened to 100,000 columns, then its rows and one row that wide."""
    header, separator, rest = _header_cells(data)
    wide = header + [f"extra {i}" for i in range(100_000 - len(header))]
    rows = [separator.join(["1"] * len(wide))]
    return "\n".join([separator.join(wide), *rest, *rows]).encode("utf-8")


# -- one case ------------------------------------------------------------------------------------

def digest(db) -> str:
    """Every user table's rows, hashed: equal before and after means the file changed nothing."""
    sha = hashlib.sha256()
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                           "'sqlite_%' ORDER BY name")]
    for table in tables:
        sha.update(table.encode())
        for row in db.execute(f'SELECT * FROM "{table}"'):
            sha.update(repr(tuple(row)).encode())
    return sha.hexdigest()


def _digest_of(db_path: Path) -> str:
    db = open_db(db_path)
    try:
        return digest(db)
    finally:
        db.close()


def fresh_copy(company: Path, folder: Path) -> Path:
    target = folder / "case.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(company / "demo.db", target)
    return target


def _strings(value, key: str = ""):
    """(key, text) for every text in a JSON-like value."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v, key)


@dataclass
class Outcome:
    kind: str                   # 'imported', 'read', or the domain error's class
    seconds: float
    peak_bytes: int = 0         # with trace_memory: the reader's own peak (tracemalloc)


def run_case(reader: Reader, db_path: Path, path: Path, strict: bool, trace_memory: bool = False) -> Outcome:
    """Run one reader on one file and check what must hold."""
    db = open_db(db_path)
    try:
        before = digest(db)
        peak = 0
        if trace_memory:
            tracemalloc.start()
        started = time.perf_counter()
        try:
            result = reader.run(db, path, strict)
        except OmnictlError as err:
            seconds = time.perf_counter() - started
            if trace_memory:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            message = str(err)
            assert message and len(message) <= MESSAGE_MAX, message[:300]
            if isinstance(err, (InputFileError, StrictRejects)):
                assert path.name in message, message
            assert not db.conn.in_transaction
            assert digest(db) == before, f"{type(err).__name__} but the database changed: {message}"
            return Outcome(type(err).__name__, seconds, peak)
        except BaseException:
            if trace_memory:
                tracemalloc.stop()
            raise
        seconds = time.perf_counter() - started
        if trace_memory:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert not db.conn.in_transaction
        for one in result if isinstance(result, list) else [result]:
            dumped = one.model_dump(mode="json")
            one.model_dump_json()                    # what --json prints: lone surrogates, NULs and all
            for key, text in _strings(dumped):
                if key in ("reason", "rejects", "notes"):
                    assert len(text) <= MESSAGE_MAX, f"{key}: {text[:200]}"
        longest = db.scalar("SELECT max(length(reason)) FROM import_reject") or 0
        assert longest <= MESSAGE_MAX
        if reader.read_only:
            assert digest(db) == before
        return Outcome("read" if reader.read_only else "imported", seconds, peak)
    finally:
        db.close()


# -- the fuzz test -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def every_reader(company) -> dict[str, Reader]:
    found = readers(company)
    for name, reader in found.items():
        missing = [p for p in reader.seeds if not p.exists()]
        assert not missing, f"{name}: seed files missing: {missing}"
    return found


@settings(max_examples=FUZZ_EXAMPLES, deadline=timedelta(seconds=CASE_SECONDS * 2), derandomize=True,
          database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(readers(Path("/nonexistent")))), pick=st.integers(0, 10_000),
       mutation=st.sampled_from(sorted(MUTATIONS)), rng=st.randoms(use_true_random=False), strict=st.booleans())
def test_every_reader_survives_mutated_real_exports(every_reader, company, figures, tmp_path, name, pick,
                                                     mutation, rng, strict):
    reader = every_reader[name]
    seed = reader.seeds[pick % len(reader.seeds)]
    mutate, suffix = MUTATIONS[mutation]
    source = seed.read_bytes()
    data = mutate(source, rng) if source else b""
    path = tmp_path / f"hostile{suffix or seed.suffix}"
    path.write_bytes(data)
    outcome = run_case(reader, fresh_copy(company, tmp_path), path, strict and reader.strict)
    what = f"{name} <- {mutation}({seed.name})"
    figures.add(outcome, what)
    assert outcome.seconds < CASE_SECONDS, f"{what} took {outcome.seconds:.1f} s"


BIG_READERS = ("import", "master skus", "stock receive", "reconcile count", "reconcile channel",
               "shopfloor import")


@pytest.mark.parametrize("shape", [ten_mb_line, hundred_thousand_columns], ids=lambda f: f.__name__)
@pytest.mark.parametrize("name", BIG_READERS)
def test_a_ten_megabyte_line_and_a_hundred_thousand_columns(every_reader, company, figures, tmp_path, monkeypatch,
                                                            name, shape):
    monkeypatch.setenv("OMNICTL_PARALLEL", "0")        # map in this process, so its memory is measured here
    reader = every_reader[name]
    seed = reader.seeds[0]
    path = tmp_path / f"big{seed.suffix}"
    path.write_bytes(shape(seed.read_bytes()))
    outcome = run_case(reader, fresh_copy(company, tmp_path), path, strict=False, trace_memory=True)
    what = f"{name} <- {shape.__name__}({seed.name})"
    figures.add(outcome, what)
    assert outcome.seconds < BIG_CASE_SECONDS, f"{what} took {outcome.seconds:.1f} s"
    assert outcome.peak_bytes < BIG_CASE_PEAK_BYTES, f"{what} peaked at {outcome.peak_bytes / 2**20:.0f} MiB"


HUGE = "9" * 400
TOO_LARGE = {      # found by the fuzz test: SQLite refused the number (OverflowError) and the import crashed
    "master routings": "sku,seq,work_center,name,setup_min,run_min\nBASE-OAK,{huge},LATHE,Turn,30,40\n",
    "purchases import": ("po_number,supplier,sku,quantity,expected_date,location,unit_cost\n"
                         "PO-9,Lumen,BULB-E27,{huge},2026-12-01,WH-HZ,{huge}\n"),
    "shopfloor import": ("date,production order,operation,work center,good quantity\n"
                         "2026-11-23,{huge},10,LATHE,1\n"),
    "import": ("order_id,ordered_at,payment,fulfilment,sku,quantity,unit_price\n"
               "X-1,2026-11-20,paid,open,BULB-E27,{huge},1.00\nX-2,2026-11-20,paid,open,BULB-E27,1,{huge}\n"),
}


@pytest.mark.parametrize("name", sorted(TOO_LARGE))
def test_a_number_too_large_to_store_is_a_reject(every_reader, company, tmp_path, name):
    path = tmp_path / "huge.csv"
    path.write_text(TOO_LARGE[name].format(huge=HUGE), encoding="utf-8")
    outcome = run_case(every_reader[name], fresh_copy(company, tmp_path), path, strict=False)
    assert outcome.kind == "imported"
    db = open_db(tmp_path / "case.db")
    try:
        reasons = [row[0] for row in db.query("SELECT reason FROM import_reject WHERE batch_id = "
                                              "(SELECT max(id) FROM import_batch)")]
    finally:
        db.close()
    assert reasons and all(HUGE[:40] in reason or "no production order" in reason for reason in reasons), reasons


# -- through the real command line --------------------------------------------------------------

OMNICTL = Path(sys.executable).with_name("omnictl")
CLI_PEAK_KIB = 512 * 1024          # the whole process (Python, SQLite, the forked mapping child)


# A small parent measures the CLI's peak RSS (its own and its forked mapping child's); measured from
# this big test process instead, the RSS it had when it forked would count as the child's.
MEASURE = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
           "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
           "sys.exit(code)")


def omnictl(folder: Path, db_path: Path, *args: str) -> tuple[int, str, int]:
    """Run the installed CLI in a child process: (exit code, stderr, its peak RSS in KiB)."""
    env = {**os.environ, "OMNICTL_TODAY": TODAY}
    env.pop("OMNICTL_DEBUG", None)
    peak = folder / "peak-rss"
    done = subprocess.run([sys.executable, "-c", MEASURE, str(peak), str(OMNICTL), "--db", str(db_path), *args],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    return done.returncode, done.stderr.decode("utf-8", errors="replace"), int(peak.read_text())


def _cli_files(company: Path, folder: Path) -> dict[str, tuple[list[str], Path]]:
    workbook = (company / "demo-exports" / "微信订单登记表.xlsx").read_bytes()
    shopify = (OWN_FIXTURES / "shopify" / "orders_export_small.csv").read_bytes()
    skus = (ROOT / "sample_data" / "master" / "skus.csv").read_text(encoding="utf-8")
    files = {
        "random bytes": (["import"], "random.csv", random.Random(7).randbytes(3000)),
        "workbook cut in half": (["import"], "orders.xlsx", workbook[:len(workbook) // 2]),
        "10 MB line, no line break": (["import"], "one-line.csv", b"=cmd|' /C calc'!A0," * ((10 << 20) // 19)),
        "western code page": (["master", "import", "skus"], "skus-latin1.csv",
                              skus.replace("Desk lamp", "Lampe de bureau Renée Müller").encode("latin-1",
                                                                                                "replace")),
        "a hundred thousand columns": (["purchases", "import"], "wide.csv",
                                       hundred_thousand_columns(b"supplier,sku,quantity\n")),
    }
    out = {}
    for name, (command, file_name, data) in files.items():
        (folder / file_name).write_bytes(data)
        out[name] = (command, folder / file_name)
    (folder / "shopify-10mb.csv").write_bytes(ten_mb_line(shopify))
    return out


def test_the_cli_refuses_hostile_files_with_one_sentence_and_writes_nothing(company, figures, tmp_path):
    db_path = fresh_copy(company, tmp_path)
    before = _digest_of(db_path)
    for name, (command, path) in _cli_files(company, tmp_path).items():
        started = time.perf_counter()
        code, stderr, peak_kib = omnictl(tmp_path, db_path, *command, str(path))
        what = f"omnictl {' '.join(command)} <- {name}"
        figures.add(Outcome(f"cli exit {code}", time.perf_counter() - started), what)
        figures.cli_peak = max(figures.cli_peak, (peak_kib, what))
        lines = stderr.strip().splitlines()
        assert code == 2, (name, stderr[:500])
        assert len(lines) == 1 and lines[0].startswith("Error: ") and path.name in lines[0], (name, stderr[:500])
        assert "Traceback" not in stderr and "internal error" not in stderr
        assert peak_kib < CLI_PEAK_KIB, f"{name}: {peak_kib // 1024} MiB"
    assert _digest_of(db_path) == before


def test_the_cli_imports_a_real_export_with_a_ten_megabyte_line(company, figures, tmp_path):
    """Over 4 MB, a forked child maps while the parent writes: the line is skipped, the orders land."""
    db_path = fresh_copy(company, tmp_path)
    path = tmp_path / "orders_export.csv"
    path.write_bytes(ten_mb_line((OWN_FIXTURES / "shopify" / "orders_export_small.csv").read_bytes()))
    started = time.perf_counter()
    code, stderr, peak_kib = omnictl(tmp_path, db_path, "import", str(path), "--channel", "shopify")
    figures.add(Outcome(f"cli exit {code}", time.perf_counter() - started), "omnictl import <- 10 MB line")
    figures.cli_peak = max(figures.cli_peak, (peak_kib, "omnictl import <- a real export with a 10 MB line"))
    assert code == 0 and "Traceback" not in stderr and "internal error" not in stderr, stderr[:500]
    assert peak_kib < CLI_PEAK_KIB, f"{peak_kib // 1024} MiB"
    db = open_db(db_path)
    try:
        assert db.scalar("SELECT count(*) FROM import_batch WHERE file_name = ? AND rows_read > 0", (path.name,))
    finally:
        db.close()


# -- formulas in what omnictl writes for people --------------------------------------------------

@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text())
def test_escaping_is_safe_and_undone_exactly(text):
    escaped = safe_cell(text)
    assert not escaped.startswith(FORMULA_START)
    assert unescape_cell(escaped) == text
    assert safe_cell(12.5) == 12.5 and safe_cell(-3) == -3 and safe_cell(None) is None


HOSTILE_ORDER = {
    "name": "=cmd|' /C calc'!A0", "email": "@SUM(1)@example.com", "phone": "+86 138 0013 8000",
    "address": "-2+3 Hostile Street", "product": "+SUM(1) lamp", "second_product": "'=quoted already",
    "sku": "=HYPERLINK(\"http://x.example\")",
}


def test_orders_export_escapes_text_keeps_numbers_and_round_trips(db, tmp_path):
    from test_order_layout import round_trip, snapshot

    import_files(db, [OWN_FIXTURES / "shopify" / "orders_export_small.csv"])
    order_id, party = db.one("SELECT id, party_id FROM sales_order WHERE external_id = '#2001'")
    lines = [row[0] for row in db.query("SELECT id FROM order_line WHERE order_id = ? ORDER BY id", (order_id,))]
    with db.write():
        db.execute("UPDATE party SET name = ?, email = ?, phone = ?, address = ? WHERE id = ?",
                   (HOSTILE_ORDER["name"], HOSTILE_ORDER["email"], HOSTILE_ORDER["phone"],
                    HOSTILE_ORDER["address"], party))
        db.execute("UPDATE order_line SET product_name = ?, external_sku = ?, sku = NULL, mapping = 'unmapped', "
                   "quantity = -1, unit_price_minor = -4950, line_total_minor = -4950 WHERE id = ?",
                   (HOSTILE_ORDER["product"], HOSTILE_ORDER["sku"], lines[0]))
        db.execute("UPDATE order_line SET product_name = ? WHERE id = ?", (HOSTILE_ORDER["second_product"], lines[1]))
    before = snapshot(db)
    after, result = round_trip(db, tmp_path)
    assert after == before and result.orders == len(before[0])

    with open(tmp_path / "orders.csv", encoding="utf-8", newline="") as stream:
        rows = [row for row in csv.DictReader(stream) if row["order_id"] == "#2001"]
    first, second = rows[0], rows[1]
    assert first["customer_name"] == "'" + HOSTILE_ORDER["name"]
    assert (first["customer_email"], first["customer_phone"], first["customer_address"]) == \
        ("'@SUM(1)@example.com", "'+86 138 0013 8000", "'-2+3 Hostile Street")
    assert (first["product_name"], first["sku"], first["external_sku"]) == \
        ("'+SUM(1) lamp", "'" + HOSTILE_ORDER["sku"], "'" + HOSTILE_ORDER["sku"])
    assert (first["quantity"], first["unit_price"], first["line_total"]) == ("-1", "-49.50", "-49.50")
    assert second["product_name"] == "''=quoted already"
    for row in rows:
        assert not any(value.startswith(FORMULA_START) for column, value in row.items()
                       if column not in ("quantity", "unit_price", "line_total", "subtotal", "shipping", "tax",
                                         "discount", "order_total", "refunded"))


def test_a_plain_stock_feed_escapes_its_skus(db, tmp_path):
    from test_feeds import build

    build(db)
    db.execute("INSERT INTO sku_alias (channel, external_sku, sku, factor) VALUES "
               "('wholesale', '=cmd|'' /C calc''!A0', 'A', 1), ('wholesale', '-W-C', 'B', 1)")
    export_channel_stock(db, "wholesale", tmp_path / "feed.csv")
    with open(tmp_path / "feed.csv", encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["sku", "quantity", "location"]
    assert sorted(rows[1:]) == [["'-W-C", "15", "WH"], ["'=cmd|' /C calc'!A0", "16", "WH"], ["W-A", "16", "WH"],
                                ["W-B", "15", "WH"]]


def test_escape_sequences_from_a_file_never_reach_the_terminal(cli, tmp_path):
    """A reject's reason and raw row, shown by `imports show`, carry a file's bytes; an escape
    sequence among them is shown as text, not sent to the terminal."""
    source = OWN_FIXTURES / "shopify" / "orders_export_small.csv"
    with open(source, encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    hostile = {**rows[0], "Name": "#9999", "Created at": "yesterday\x1b[2J", "Email": "\x1b]0;pwned\x07eve@example.com"}
    path = tmp_path / "orders_export.csv"
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([*rows, hostile])
    imported = cli("import", path)
    assert imported.code == 0 and "\x1b" not in imported.stdout + imported.stderr, imported
    shown = cli("imports", "show", "1")
    assert shown.code == 0 and "#9999" in shown.stdout, shown
    assert "\x1b" not in shown.stdout and "\\x1b[2J" in shown.stdout and "\\x1b]0;pwned\\x07" in shown.stdout
    rejects = cli("imports", "show", "1", "--json").json()["rejects"]      # --json keeps the data as it is
    assert "\x1b[2J" in rejects[0]["raw"] and "\x1b]0;pwned\x07" in rejects[0]["raw"]


def test_the_close_report_in_markdown_escapes_formulas():
    from omnictl.close import CloseCheck, CloseReport
    from omnictl.report import close_markdown

    report = CloseReport(date="2026-11-24", status="warn", ran_at="2026-11-25T01:00:00Z", actor="cron",
                         checks=[CloseCheck(name="stock", status="warn", owner="=cmd|' /C calc'!A0",
                                            details=["+SUM(1) units short", "@evil", "BULB-E27 3 units short"])],
                         exceptions=[], kpis={"oee": {"value": 81.5, "target": 85.0, "unit": "%", "status": "warn"}})
    text = close_markdown(report)
    assert "| '=cmd\\|' /C calc'!A0 |" in text
    assert "- '+SUM(1) units short" in text and "- '@evil" in text and "- BULB-E27 3 units short" in text
    assert "81.5%" in text and "'81.5" not in text
    cells = [cell.strip() for line in text.splitlines() if line.startswith("| ") for cell in line.split(" | ")]
    assert not any(cell.lstrip("| ").startswith(FORMULA_START) for cell in cells)
