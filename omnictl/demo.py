"""`omnictl demo`: build a demo database from `sample_data/` and describe a short tour.

The demo company's channel exports ship as templates whose dates are tokens relative to
today (`{{D-3 14:05}}` = three days ago at 14:05 company time, `{{D+2}}` = a date two days
ahead). They are rendered at build time in each file's own date format and encoding, then
imported like any user's files, so "due today" and "late" always mean something and a
pinned clock (`--today`, `$OMNICTL_TODAY`) reproduces the demo exactly.

A demo database carries the setting `demo.built_at`. The demo replaces only such a
database; any other file at the target path is refused and left untouched.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import sqlite3
import tempfile
import tomllib
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

from pydantic import BaseModel

from omnictl import clock
from omnictl.db import open_db
from omnictl.errors import InputFileError, UsageError
from omnictl.importer import import_files
from omnictl.fx import import_rates
from omnictl.master import import_master
from omnictl.reconcile import import_opening

DEFAULT_PATH = "omnictl-demo.db"
MARKER_SETTING = "demo.built_at"
EXPORTS_MARKER = ".omnictl-demo"
ACTOR = "demo"

TOKEN = re.compile(r"\{\{D(?P<offset>[+-]\d+|0)?(?: (?P<time>\d{1,2}:\d{2}(?::\d{2})?))?(?:\|(?P<fmt>[^}]+))?\}\}")


# -- the tour: what `omnictl demo` returns ----------------------------------------------------

class DemoChannel(BaseModel):
    channel: str
    name: str
    profile: str
    files: list[str]
    batches: list[int]
    orders: int
    lines: int
    rejected: int
    unmapped: int


class DemoOrder(BaseModel):
    why: str
    id: int
    channel: str
    external_id: str
    status: str
    ordered_at: str | None
    promised_ship_by: str | None
    total_minor: int | None
    currency: str | None
    customer: str | None
    customer_name: str | None
    lines: int


class DemoCustomer(BaseModel):
    code: str
    name: str | None
    tier: str | None
    channels: list[str]
    orders: list[str]          # "channel external_id"
    note: str = ""


class DemoStock(BaseModel):
    opening_moves: int                 # opening balances posted before the orders
    sales_moves: int                   # sales and returns the orders posted
    oversold: list[str]                # "SKU at LOCATION (ATP n)"
    at_risk: int                       # rows below safety stock
    purchase_lines: int
    late_purchase_lines: int           # expected before today, not received
    count_file: str                    # the stock count (not applied: see its differences)
    count_location: str
    count_at: str                      # what to pass as --at (company time)
    count_differences: int
    count_value_minor: int
    count_unknown: list[str]
    listing_file: str
    listing_channel: str
    oversell_risk: list[str]           # "SKU listed n, should m"


class DemoPlan(BaseModel):
    orders: int                        # planned production orders after `plan orders`
    for_sales: int                     # serving sales lines (the rest: components and stock)
    late: list[str]                    # "MO-… SKU due …": due before today, not made yet
    short_orders: int                  # orders short of bought materials
    short_lines: int
    first: str                         # the highest-priority order, for `plan explain`
    for_sales_orders: list[str] = []   # "MO-… 20 × QS-LT-L due 11-27 for social WX-0585"
    scheduled_late: list[str] = []     # "MO-… 12.5 h late" in the schedule
    bottleneck: str = ""
    rush_order: str = ""               # the sales order the tour rushes (插单), not accepted
    rush_pushes: list[str] = []        # "MO-… +94.0 h": what the rush would push back
    gantt: list[str] = []              # the schedule by work center, ASCII, 100 cells wide


class DemoClose(BaseModel):
    files: list[str]                   # the shop-floor files imported before the close
    date: str                          # the day closed: yesterday
    status: str
    checks: dict[str, str]             # check → ok, warn or fail
    t3: list[str]                      # T-3 findings
    consumption: list[str]             # material deviations
    open_exceptions: int


class DemoForecast(BaseModel):
    history_file: str                  # the order book's history, in omnictl's own layout
    history_orders: int
    run_id: int
    skus: int                          # SKUs forecast
    shown: list[str]                   # "QS-LT-S: hw, MASE 0.71, WAPE 0.28; next 7 days 41"
    stockouts: list[str]               # "QS-LT-S at WH-NB runs out 2026-12-01; produce 60 by …"


class DemoTour(BaseModel):
    database: str
    replaced: bool             # a previous demo database was replaced
    company: str
    story: str
    today: str                 # the clock's today, in the company timezone
    timezone: str
    currency: str
    exports_dir: str | None    # the rendered exports, kept for `channels detect` and re-imports
    master: dict[str, int]     # kind → rows imported
    channels: list[DemoChannel]
    orders: int
    lines: int
    rejected: int
    unmapped: int
    open_orders: int
    due: dict[str, int]        # late, today, tomorrow, in_3_days: open orders by promised ship-by
    highlights: list[DemoOrder]
    cross_channel_customer: DemoCustomer | None
    stock: DemoStock | None = None
    plan: DemoPlan | None = None
    close: DemoClose | None = None
    forecast: DemoForecast | None = None
    try_next: list[str]


# -- the manifest and the templates ---------------------------------------------------------

def sample_files():
    """The sample data: installed as `omnictl.sample_data`, or `sample_data/` beside `omnictl/`
    when running from a checkout that shadows the installed package (`python -m pytest`)."""
    try:
        return resources.files("omnictl.sample_data")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "sample_data"


def load_manifest() -> dict:
    return tomllib.loads(sample_files().joinpath("demo.toml").read_text(encoding="utf-8"))


def _read(relative: str) -> str:
    node = sample_files()
    for part in relative.split("/"):
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def resolve_token(match: re.Match, now: datetime) -> datetime | date:
    """A token's value: a datetime in the company timezone, or a date."""
    offset = int(match["offset"] or 0)
    day = now.date() + timedelta(days=offset)
    if not match["time"]:
        return day
    parts = [int(p) for p in match["time"].split(":")]
    value = datetime.combine(day, time(*parts), tzinfo=now.tzinfo)
    if offset <= 0 and value > now:
        value = now - timedelta(minutes=1)   # never an order from the future, whatever the hour
    return value


def _format(value: datetime | date, fmt_name: str | None, spec: dict, zone) -> str:
    formats = spec.get("formats", {})
    if fmt_name:
        fmt = formats.get(fmt_name, fmt_name)
    else:
        fmt = spec.get("datetime_format" if isinstance(value, datetime) else "date_format", "%Y-%m-%d")
    if isinstance(value, datetime):
        value = value.astimezone(zone)
    return value.strftime(fmt)


def render_text(text: str, spec: dict, now: datetime) -> str:
    """Replace every date token in a template's text with the file's own date format."""
    zone = _zone(spec)
    return TOKEN.sub(lambda m: _format(resolve_token(m, now), m["fmt"], spec, zone), text)


def _zone(spec: dict):
    from omnictl.values import zone

    return zone(spec["timezone"]) if spec.get("timezone") else clock.zone()


def render_file(spec: dict, folder: Path, now: datetime) -> Path:
    """Write one export from its template into `folder`; returns the path written."""
    name = render_text(spec["output"], spec, now)
    target = folder / name
    text = _read(spec["template"])
    if spec.get("kind", "csv") == "xlsx":
        _write_xlsx(text, spec, now, target)
        return target
    rendered = render_text(text, spec, now)
    if spec.get("newline"):
        rendered = rendered.replace("\r\n", "\n").replace("\n", spec["newline"])
    encoding = spec.get("encoding", "utf-8")
    try:
        data = rendered.encode(encoding)
    except UnicodeEncodeError as err:
        raise InputFileError(f"sample data {spec['template']}: cannot be written as {encoding} ({err})") from None
    target.write_bytes(data)
    return target


def _write_xlsx(text: str, spec: dict, now: datetime, target: Path) -> None:
    """A workbook as a person keeps it: real date cells, numbers where they typed numbers."""
    import openpyxl

    zone = _zone(spec)
    rows = list(csv.reader(io.StringIO(text)))
    numeric = {name.strip() for name in spec.get("numeric_columns", [])}
    header = rows[0]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = spec.get("sheet", "Sheet1")
    sheet.append(header)
    for values in rows[1:]:
        cells = []
        for name, value in zip(header, values):
            whole = TOKEN.fullmatch(value)
            if whole and not whole["fmt"]:
                moment = resolve_token(whole, now)
                if isinstance(moment, datetime):
                    moment = moment.astimezone(zone).replace(tzinfo=None)
                cells.append(moment)
            elif name.strip() in numeric and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
                number = float(value)
                cells.append(int(number) if number.is_integer() else number)
            else:
                cells.append(render_text(value, spec, now))
        sheet.append(cells)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    book.save(target)


# -- the target database ----------------------------------------------------------------------

def is_demo_database(path: Path) -> bool:
    """True when `path` is an SQLite file whose settings mark it as built by the demo."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute("SELECT value FROM setting WHERE key = ?", (MARKER_SETTING,)).fetchone()
        return row is not None
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def _check_target(target: Path) -> bool:
    """Whether a previous demo database is there to replace; refuses anything else."""
    if target.is_dir():
        raise UsageError(f"{target} is a folder; give the demo database a file name with --db")
    if not target.parent.is_dir():
        raise UsageError(f"cannot build the demo at {target}: folder {target.parent} does not exist")
    if not target.exists():
        return False
    if is_demo_database(target):
        return True
    raise UsageError(f"{target} exists and was not built by `omnictl demo`; the demo never writes over "
                     "a database that may hold real data. Choose another path with --db, or move that "
                     "file away first")


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.unlink()


def _exports_dir(target: Path) -> Path:
    return target.with_name(f"{target.stem}-exports")


def _place_exports(rendered: Path, target_dir: Path) -> Path | None:
    """Keep the rendered exports beside the database, replacing only a folder the demo made."""
    if target_dir.exists():
        if not (target_dir / EXPORTS_MARKER).exists():
            return None                      # someone else's folder: leave it, keep nothing
        shutil.rmtree(target_dir)
    shutil.copytree(rendered, target_dir)
    (target_dir / EXPORTS_MARKER).write_text("written by `omnictl demo`; replaced when the demo is rebuilt\n",
                                             encoding="utf-8")
    return target_dir


# -- building ---------------------------------------------------------------------------------

def build_demo(path: str | os.PathLike | None = None, *, keep_exports: bool = True) -> DemoTour:
    """Build the demo database at `path` (default ./omnictl-demo.db) and describe the tour.

    A previous demo database there is replaced; any other file is refused (UsageError)
    and left unchanged. The build happens in a temporary file that replaces the target
    only when complete.
    """
    target = Path(path or DEFAULT_PATH)
    replacing = _check_target(target)
    manifest = load_manifest()
    company = manifest["company"]
    building = target.with_name(f".{target.name}.building-{os.getpid()}")
    _remove_database(building)
    with tempfile.TemporaryDirectory(prefix="omnictl-demo-") as tmp:
        exports = Path(tmp) / "exports"
        exports.mkdir()
        db = open_db(building)
        try:
            tour = _build(db, manifest, company, Path(tmp), exports)
        except BaseException:
            db.close()
            _remove_database(building)
            raise
        db.close()
        if replacing:
            _check_target(target)            # still a demo database: replace it
        _remove_database(target)
        os.replace(building, target)
        _remove_database(building)
        kept = _place_exports(exports, _exports_dir(target)) if keep_exports else None
    tour.database = str(target)
    tour.replaced = replacing
    tour.exports_dir = str(kept) if kept else None
    tour.try_next = _try_next(manifest, target, kept, tour)
    return tour


def _build(db, manifest: dict, company: dict, tmp: Path, exports: Path) -> DemoTour:
    clock.set_zone(company["timezone"])
    now = clock.now()
    today = now.date()
    with db.write():
        for key, value in (("company.name", company["name"]), ("company.timezone", company["timezone"]),
                           ("company.currency", company["currency"]),
                           (MARKER_SETTING, clock.utc_now_iso()), ("demo.today", today.isoformat()),
                           *manifest.get("settings", {}).items()):
            db.execute("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                       "SET value = excluded.value", (key, value))

    master_counts = {}
    master_dir = tmp / "master"
    master_dir.mkdir()
    for item in manifest["master"]:
        file = master_dir / Path(item["file"]).name
        text = _read(item["file"])
        if item["kind"] == "calendars":                   # holidays and downtime follow the clock
            text = render_text(text, {}, now)
        file.write_text(text, encoding="utf-8")
        result = import_master(db, item["kind"], file, actor=ACTOR)
        if result.rejected:
            raise InputFileError(f"sample data {item['file']}: {result.rejects[0].reason}")
        master_counts[item["kind"]] = master_counts.get(item["kind"], 0) + result.created + result.updated
    rates = master_dir / "fx_rates.csv"
    rates.write_text(render_text(_read(manifest["fx"]["file"]), {}, now), encoding="utf-8")
    master_counts["fx rates"] = import_rates(db, rates, actor=ACTOR).created

    opening = _stock_file(manifest["stock"]["opening"], tmp, now)
    opening_moves = import_opening(db, opening, at=(today - timedelta(days=45)).isoformat() + "T00:00",
                                   actor=ACTOR).moves

    channels = []
    for group in manifest["imports"]:
        paths = [render_file(spec, exports, now) for spec in group["files"]]
        results = import_files(db, paths, channel=group["channel"], actor=ACTOR)
        row = db.one("SELECT name, profile FROM channel WHERE code = ?", (group["channel"],))
        channels.append(DemoChannel(
            channel=group["channel"], name=row["name"], profile=row["profile"], files=[p.name for p in paths],
            batches=[r.batch for r in results if r.batch is not None],
            orders=sum(r.orders for r in results), lines=sum(r.lines for r in results),
            rejected=sum(r.rejected for r in results), unmapped=sum(r.unmapped for r in results)))
    tour = _tour(db, manifest, company, today, master_counts, channels)
    tour.stock = _stock_story(db, manifest["stock"], exports, now, opening_moves)
    tour.plan = _plan_story(db, today)
    _schedule_story(db, tour.plan, manifest["plan"]["rush"])
    if "forecast" in manifest:
        tour.forecast = _forecast_story(db, manifest["forecast"], exports, today)
    if "shopfloor" in manifest:
        tour.close = _close_story(db, manifest["shopfloor"], exports, now)
    return tour


MO_TOKEN = re.compile(r"<MO:(?P<sku>[\w-]+)(?::(?P<reason>order|stock|component))?>")


def _close_story(db, spec: dict, exports: Path, now: datetime) -> DemoClose:
    """The shop floor's last days imported, then yesterday's daily close run (日清日结)."""
    from omnictl.close import run_close
    from omnictl.shopfloor import import_shopfloor

    def order_number(match: re.Match) -> str:
        number = db.scalar("SELECT number FROM production_order WHERE sku = ? AND reason LIKE ? AND status IN "
                           "('planned', 'released', 'started') ORDER BY due_on, number LIMIT 1",
                           (match["sku"], match["reason"] or "%"))
        if number is None:
            raise InputFileError(f"sample data: no open production order of {match['sku']} for the shop floor")
        return number

    files = []
    for item in spec["files"]:
        target = exports / render_text(item["output"], item, now)
        target.write_text(render_text(MO_TOKEN.sub(order_number, _read(item["template"])), item, now),
                          encoding="utf-8")
        result = import_shopfloor(db, target, actor=ACTOR)
        if result.rejected:
            raise InputFileError(f"sample data {item['template']}: {result.rejects[0].reason}")
        files.append(target.name)
    report = run_close(db, actor=ACTOR)
    return DemoClose(files=files, date=report.date, status=report.status,
                     checks={c.name: c.status for c in report.checks},
                     t3=[e.finding for e in report.exceptions if e.check == "t3"],
                     consumption=[e.finding for e in report.exceptions if e.check == "consumption"],
                     open_exceptions=sum(1 for e in report.exceptions if e.is_open))



def history_rows(spec: dict, today: date) -> list[list[str]]:
    """The order book's past orders in omnictl's own layout: one order per SKU and day, ending
    yesterday (see demo.toml [forecast]); seeded, so the same for the same today."""
    import math
    import random

    rng = random.Random(spec["seed"])
    rows = []
    first = today - timedelta(days=spec["days"])
    for offset in range(spec["days"]):
        day = first + timedelta(days=offset)
        for sku, shape in spec["skus"].items():
            if "every" in shape:
                quantity = shape["size"] if rng.random() < 1 / shape["every"] else 0
            else:
                swing = 1 + 0.15 * math.sin(2 * math.pi * day.timetuple().tm_yday / 365.25)
                quantity = _poisson(rng, shape["daily"] * shape["weekly"][day.weekday()] * swing)
            if quantity:
                order = f"OB-{day:%y%m%d}-{sku}"
                rows.append([order, "1", spec["channel"], day.isoformat(), "", day.isoformat(), "paid", "shipped",
                             "", sku, str(quantity), "", "", "", "", ""])
    return rows


def _poisson(rng, mean: float) -> int:
    """Knuth's method: fine for the small means of the demo."""
    import math

    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _forecast_story(db, spec: dict, exports: Path, today: date) -> DemoForecast:
    """Import the order book's history, forecast by day, and look for stock-outs."""
    from omnictl.forecast.run import run_forecast
    from omnictl.replenish import replenish_plan

    target = exports / spec["output"]
    rows = history_rows(spec, today)
    with open(target, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["order_id", "line_id", "channel", "ordered_at", "promised_ship_by", "shipped_at", "payment",
                         "fulfilment", "status", "sku", "quantity", "unit_price", "currency", "customer_name",
                         "customer_phone", "customer_email"])
        writer.writerows(rows)
    [imported] = import_files(db, [target], actor=ACTOR)
    run = run_forecast(db, bucket="day", horizon=28, actor=ACTOR)
    by_sku = {info.sku: info for info in run.skus}
    week = {}
    for row in run.rows:
        if row.period_start < (today + timedelta(days=7)).isoformat():
            week[row.sku] = week.get(row.sku, 0.0) + row.quantity
    shown = []
    for sku in spec["show"]:
        info = by_sku.get(sku)
        if info is not None:
            shown.append(f"{sku}: {info.method} ({info.kind}), backtest MASE {_figure(info.mase)}, WAPE "
                         f"{_figure(info.wape)}; next 7 days {week.get(sku, 0.0):.0f}")
    stockouts = []
    for line in sorted((p for p in replenish_plan(db) if p.stockout_on), key=lambda p: (p.stockout_on, p.sku)):
        action = f"{line.action} {line.suggested:g} by {line.order_by}" if line.suggested else "covered later"
        stockouts.append(f"{line.sku} at {line.location} runs out {line.stockout_on} ({line.atp:g} free, "
                         f"{line.daily_forecast:.1f}/day); {action}{' (late)' if line.late else ''}")
    return DemoForecast(history_file=target.name, history_orders=imported.orders, run_id=run.id,
                        skus=len(run.skus), shown=shown, stockouts=stockouts)


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _schedule_story(db, plan: DemoPlan, rush_order: str) -> None:
    """Schedule the plan, then ask what a rush order would do to it (without accepting it)."""
    from omnictl.planning.schedule import run_schedule, rush

    run = run_schedule(db, actor=ACTOR)
    plan.scheduled_late = [f"{o.number} {o.late_minutes / 60:.1f} h late" for o in run.orders if o.late_minutes]
    plan.bottleneck = ", ".join(run.metrics["bottlenecks"])
    from omnictl.planning.gantt import render_gantt
    from omnictl.planning.schedule import gantt_rows

    rows, start, end = gantt_rows(db, "resource")
    plan.gantt = [line.text.rstrip() for line in render_gantt(rows, start, end, width=100, today=clock.now(),
                                                              zone=clock.zone(), ascii=True)]
    what_if = rush(db, rush_order, actor=ACTOR)
    plan.rush_order = rush_order
    plan.rush_pushes = [f"{m['order']} +{m['shift_minutes'] / 60:.1f} h" for m in what_if.moved
                        if m["shift_minutes"] > 0][:3]


def _plan_story(db, today: date) -> DemoPlan:
    """Production orders from the open demand: which are late already, which lack materials."""
    from omnictl.planning.materials import check_materials
    from omnictl.planning.netting import plan_orders

    orders = [o for o in plan_orders(db).orders if o.status == "planned"]
    materials = check_materials(db)
    first = max(orders, key=lambda o: o.priority or 0)
    for_sales = [f"{o.number} {o.quantity:g} × {o.sku} due {o.due_on} for "
                 + ", ".join(f"{s.channel} {s.order}" for s in o.served) for o in orders if o.reason == "order"]
    return DemoPlan(orders=len(orders), for_sales=sum(1 for o in orders if o.reason == "order"),
                    for_sales_orders=for_sales,
                    late=[f"{o.number} {o.sku} due {o.due_on}" for o in orders if o.due_on < today.isoformat()],
                    short_orders=materials.short_orders, short_lines=materials.short_lines, first=first.number)


def _stock_file(spec: dict, folder: Path, now: datetime) -> Path:
    target = folder / Path(spec["file"]).name
    target.write_text(render_text(_read(spec["file"]), {}, now), encoding="utf-8")
    return target


def _stock_story(db, spec: dict, exports: Path, now: datetime, opening_moves: int) -> DemoStock:
    """Purchases as open supply, a stock count with real differences, a channel that lists too much."""
    from omnictl.feeds import reconcile_channel
    from omnictl.inventory import positions
    from omnictl.purchases import import_purchases, list_purchases
    from omnictl.reconcile import reconcile_file

    import_purchases(db, _stock_file(spec["purchases"], exports, now), actor=ACTOR)
    count_file = _stock_file(spec["count"], exports, now)
    count_at = (now.date() - timedelta(days=1)).isoformat() + "T18:00"
    count = reconcile_file(db, count_file, kind="count", location=spec["count"]["location"], at=count_at,
                           actor=ACTOR)
    listing_file = _stock_file(spec["listing"], exports, now)
    listing = reconcile_channel(db, spec["listing"]["channel"], listing_file)
    short = positions(db, short=True)
    lines = list(list_purchases(db, open_only=True))
    return DemoStock(
        opening_moves=opening_moves,
        sales_moves=db.scalar("SELECT count(*) FROM stock_move WHERE order_line_id IS NOT NULL"),
        oversold=[f"{p.sku} at {p.location} (ATP {p.atp:g})" for p in short if p.status == "oversold"],
        at_risk=sum(p.status == "at risk" for p in short), purchase_lines=len(lines),
        late_purchase_lines=sum(1 for line in lines if line.late),
        count_file=count_file.name, count_location=spec["count"]["location"], count_at=count_at,
        count_differences=count.differences, count_value_minor=count.value_minor,
        count_unknown=[u.sku for u in count.unknown_skus], listing_file=listing_file.name,
        listing_channel=listing.channel,
        oversell_risk=[f"{line.sku} listed {line.listed:g}, should {line.should}" for line in listing.lines
                       if line.status == "oversell_risk"])


def _tour(db, manifest: dict, company: dict, today: date, master: dict, channels: list[DemoChannel]) -> DemoTour:
    from omnictl.orders import get_order

    day = lambda n: (today + timedelta(days=n)).isoformat()  # noqa: E731
    open_clause = "fulfilment = 'open'"
    due = {
        "late": db.scalar(f"SELECT count(*) FROM sales_order WHERE {open_clause} AND promised_ship_by < ?", (day(0),)),
        "today": db.scalar(f"SELECT count(*) FROM sales_order WHERE {open_clause} AND promised_ship_by = ?", (day(0),)),
        "tomorrow": db.scalar(f"SELECT count(*) FROM sales_order WHERE {open_clause} AND promised_ship_by = ?",
                              (day(1),)),
        "in_3_days": db.scalar(f"SELECT count(*) FROM sales_order WHERE {open_clause} AND promised_ship_by = ?",
                               (day(3),)),
    }
    highlights = []
    for item in manifest["tour"]["highlights"]:
        detail = get_order(db, item["order"], item["channel"])
        highlights.append(DemoOrder(
            why=item["why"], id=detail.id, channel=detail.channel, external_id=detail.external_id,
            status=detail.status, ordered_at=detail.ordered_at, promised_ship_by=detail.promised_ship_by,
            total_minor=detail.total_minor, currency=detail.currency, customer=detail.customer,
            customer_name=detail.customer_name, lines=len(detail.lines)))
    return DemoTour(
        database="", replaced=False, company=company["name"], story=company["story"].strip(),
        today=today.isoformat(), timezone=company["timezone"], currency=company["currency"], exports_dir=None,
        master=master, channels=channels,
        orders=db.scalar("SELECT count(*) FROM sales_order"), lines=db.scalar("SELECT count(*) FROM order_line"),
        rejected=sum(c.rejected for c in channels),
        unmapped=db.scalar("SELECT count(*) FROM order_line WHERE mapping = 'unmapped'"),
        open_orders=db.scalar(f"SELECT count(*) FROM sales_order WHERE {open_clause}"),
        due=due, highlights=highlights,
        cross_channel_customer=_customer(db, manifest["tour"]["cross_channel_customer"],
                                         manifest["tour"].get("cross_channel_note", "")),
        try_next=[])


def _customer(db, code: str, note: str = "") -> DemoCustomer | None:
    row = db.one("SELECT c.id, c.code, c.tier, p.name FROM customer c JOIN party p ON p.id = c.party_id "
                 "WHERE c.code = ?", (code,))
    if row is None:
        return None
    orders = db.query("SELECT channel, external_id FROM sales_order WHERE customer_id = ? "
                      "ORDER BY ordered_on, id", (row["id"],))
    return DemoCustomer(code=row["code"], name=row["name"], tier=row["tier"],
                        channels=sorted({o["channel"] for o in orders}),
                        orders=[f"{o['channel']} {o['external_id']}" for o in orders], note=" ".join(note.split()))


def _try_next(manifest: dict, target: Path, exports: Path | None, tour: DemoTour) -> list[str]:
    import shlex

    base = f"omnictl --db {shlex.quote(str(target))}"    # always: other commands default to ./omnictl.db
    tour_spec = manifest["tour"]
    multi = tour_spec["highlights"][0]
    commands = [
        f"{base} orders list",
        f"{base} orders list --status paid",
        f"{base} orders show {shlex.quote(multi['order'])} --channel {multi['channel']}",
    ]
    if tour.cross_channel_customer:
        commands.append(f"{base} customers show {tour.cross_channel_customer.code}")
        commands.append(f"{base} orders search {shlex.quote(tour_spec.get('search', '138-0013-8000'))}")
    commands.append(f"{base} stock --short")
    if tour.plan:
        commands.append(f"{base} plan gantt")
        commands.append(f"{base} plan bottlenecks")
        commands.append(f"{base} plan rush {shlex.quote(tour.plan.rush_order)}")
        commands.append(f"{base} plan list")
        commands.append(f"{base} plan explain {tour.plan.first}")
        commands.append(f"{base} plan materials")
    if tour.close:
        commands.append(f"{base} close show {tour.close.date}")
        commands.append(f"{base} exceptions list --open")
        commands.append(f"{base} close run --date {tour.close.date} --markdown close-{tour.close.date}.md --lang zh")
    if tour.forecast:
        shown = load_manifest()["forecast"]["show"][0]
        commands.append(f"{base} forecast show {shown} --bucket week")
        commands.append(f"{base} replenish --forecast")
        commands.append(f"{base} forecast accuracy")
    if tour.stock:
        commands.append(f"{base} purchases list --open")
        if exports is not None:
            stock = tour.stock
            commands.append(f"{base} reconcile count {shlex.quote(str(exports / stock.count_file))} "
                            f"--location {stock.count_location} --at {stock.count_at}")
            commands.append(f"{base} reconcile channel {shlex.quote(str(exports / stock.listing_file))} "
                            f"--channel {stock.listing_channel}")
            commands.append(f"{base} stock export-channel --channel {stock.listing_channel} shopify-upload.csv "
                            f"--template {shlex.quote(str(exports / stock.listing_file))}")
    with_rejects = next((c for c in tour.channels if c.rejected), None)
    commands.append(f"{base} imports list")
    if with_rejects and with_rejects.batches:
        commands.append(f"{base} imports show {with_rejects.batches[0]}")
    commands.append(f"{base} skus unmapped")
    channel, external, sku = tour_spec["map"]
    commands.append(f"{base} skus map {channel} {shlex.quote(external)} {sku}")
    commands.append(f"{base} channels list")
    commands.append(f"{base} orders export orders.csv")
    if exports is not None:
        commands.append(f"{base} channels detect {shlex.quote(str(exports / tour_spec['detect']))}")
        commands.append(f"{base} import {shlex.quote(str(exports / tour_spec['detect']))}"
                        f" --channel {tour_spec['detect_channel']}")
    return commands
