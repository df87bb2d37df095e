"""Shop-floor reporting: daily production reports and material issues from a file.

A file holds one kind, told by its columns: production reports (date, production order,
operation seq, optional work center, good and scrap quantity, run and downtime minutes with a
reason, operator) or material issues (date, production order, component, quantity, optional
location). The file is one batch and one transaction.

A report row is kept in `shopfloor_report` and advances its operation: qty_done += good,
qty_scrap += scrap; the operation is 'started' once reported, 'partly done' with some good
output, 'done' when qty_done reaches the order quantity (never back). Its production order
becomes 'started', and 'done' when its last operation (highest seq) is done. Good output of
the last operation posts a 'produce' move of the order's SKU at the order's location; scrap
is recorded, never posted. An issue row is kept in `material_issue` and posts a 'consume'
move (negative) of the component at the row's location, else the order's. Moves carry the
batch and row, so `stock why` traces them to the file.

The same file twice changes nothing (its SHA-256); imported again after some rows were
rejected, only the rows that were rejected are tried again.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from omnictl import clock
from omnictl import values as V
from omnictl.batches import DryRun, finish_batch
from omnictl.db import Database
from omnictl.errors import InputFileError
from omnictl.fx import RowFault
from omnictl.inventory import Move, instant, post
from omnictl.master import Col, bind_columns
from omnictl.models import RejectInfo
from omnictl.purchases import (
    _Cells,
    _dates,
    _id,
    _qty,
    _Refs,
    _reject,
    _same_file,
    _start_batch,
)
from omnictl.tabular import open_table

EPSILON = 1e-9
KIND = "shopfloor"

DATE = Col("date", ("report date", "issue date", "posting date", "day", "日期", "报工日期", "发料日期", "领料日期"),
           required=True)
PRODUCTION = Col("production_order", ("production order", "mo", "mo number", "mo no", "mo no.", "mo #",
                                      "work order", "work order number", "order", "工单", "工单号", "生产工单",
                                      "生产订单", "生产订单号"), required=True)
REPORT_COLUMNS = [
    DATE, PRODUCTION,
    Col("operation", ("op", "operation seq", "op seq", "seq", "step", "工序", "工序号"), required=True),
    Col("work_center", ("work center", "work centre", "workcenter", "wc", "resource", "工作中心", "工位")),
    Col("good_qty", ("good", "good quantity", "good qty", "qty good", "yield", "output", "良品数", "良品", "合格数",
                     "合格数量"), required=True),
    Col("scrap_qty", ("scrap", "scrap quantity", "scrap qty", "reject qty", "rejected qty", "报废数", "报废",
                      "报废数量")),
    Col("run_min", ("run minutes", "run min", "run time", "run time min", "运行分钟", "运行时间")),
    Col("downtime_min", ("downtime", "downtime minutes", "downtime min", "停机分钟", "停机时间")),
    Col("downtime_reason", ("downtime reason", "reason", "停机原因")),
    Col("operator", ("worker", "employee", "operator name", "操作员", "作业员", "操作工")),
]
ISSUE_COLUMNS = [
    DATE, PRODUCTION,
    Col("component", ("material", "component sku", "item", "item code", "sku", "物料", "物料编码", "物料号"),
        required=True),
    Col("quantity", ("qty", "issued qty", "quantity issued", "issued", "数量", "发料数量", "领料数量"), required=True),
    Col("location", ("warehouse", "location code", "from location", "仓库", "发料仓库")),
]
REPORT_HEADERS = {"operation", "good_qty"}
ISSUE_HEADERS = {"component"}


class ShopfloorRow(BaseModel):
    row: int
    kind: str                                   # report or issue
    production_order: str
    operation: int | None = None
    sku: str                                    # the finished SKU (report) or the component (issue)
    good: float = 0
    scrap: float = 0
    quantity: float = 0                         # issued quantity
    move: int | None = None                     # the produce or consume move, if any
    operation_status: str | None = None


class ShopfloorImportResult(BaseModel):
    file: str
    kind: str | None = None                     # reports or issues
    batch: int | None
    rows_read: int = 0
    reports: int = 0
    issues: int = 0
    good: float = 0
    scrap: float = 0
    produced: float = 0                         # good output of last operations, posted as 'produce'
    consumed: float = 0                         # issued, posted as 'consume'
    moves: int = 0
    operations_done: list[str] = []             # "MO-000001/20"
    orders_started: list[str] = []
    orders_done: list[str] = []
    skipped: int = 0                            # rows imported by an earlier import of this file
    rows: list[ShopfloorRow] = []
    rejected: int = 0
    rejects: list[RejectInfo] = []
    already_imported_as: int | None = None
    dry_run: bool = False
    notes: list[str] = []


def import_shopfloor(db: Database, path: str | Path, *, dry_run: bool = False, strict: bool = False,
                     actor: str = "unknown") -> ShopfloorImportResult:
    """Production reports or material issues from a file; one batch, one transaction."""
    table = open_table(path)
    header = set(bind_columns("shop-floor", table, [Col(c.name, c.aliases) for c in REPORT_COLUMNS + ISSUE_COLUMNS
                                             if c.name in REPORT_HEADERS | ISSUE_HEADERS]))
    is_report, is_issue = REPORT_HEADERS <= header, ISSUE_HEADERS <= header
    if is_report == is_issue:
        what = "both" if is_report else "neither"
        raise InputFileError(
            f"{path}: has {what} a production report's columns (operation, good quantity) and {what} a material "
            "issue's (component); a file holds one kind: date, production order, operation, work center, good "
            "quantity, scrap quantity, run minutes, downtime minutes, downtime reason, operator — or date, "
            "production order, component, quantity, location")
    kind = "reports" if is_report else "issues"
    bound = bind_columns(f"shop-floor {kind}", table, REPORT_COLUMNS if is_report else ISSUE_COLUMNS)
    result = ShopfloorImportResult(file=str(path), kind=kind, batch=None, dry_run=dry_run)
    previous = _same_file(db, KIND, table.sha256)
    if previous is not None:
        result.already_imported_as = previous
        return result
    refs, dates, today = _Refs(db), _dates(), clock.today().isoformat()
    try:
        with db.write():
            batch = result.batch = _start_batch(db, KIND, table, actor)
            done = _rows_imported_before(db, table.sha256, batch)
            orders = _Orders(db)
            for row_no, values in table.data_rows():
                result.rows_read += 1
                if row_no in done:
                    result.skipped += 1
                    continue
                cells = _Cells(bound, values)
                try:
                    day = _day(cells, dates, today)
                    order = orders.get(cells.need("production_order"))
                    if is_report:
                        _report(db, cells, row_no, batch, day, order, refs, actor, result)
                    else:
                        _issue(db, cells, row_no, batch, day, order, refs, actor, result)
                except RowFault as fault:
                    result.rejects.append(_reject(table, bound, row_no, values, fault))
            if done:
                result.notes.append(f"{len(done)} row(s) of this file were imported by an earlier import of it "
                                    f"(batch {', '.join(map(str, sorted(set(done.values()))))}) and are skipped; "
                                    "only the rows rejected then are tried again")
            _advance_orders(db, orders, result)
            finish_batch(db, batch, path, result, strict, dry_run)
    except DryRun:
        result.batch = None
    return result


# -- rows -----------------------------------------------------------------------------------

class _Orders:
    """Production orders by number, with their operations, read once per file."""

    def __init__(self, db: Database):
        self.db = db
        self.cache: dict[str, dict] = {}
        self.touched: dict[int, dict] = {}

    def get(self, number: str) -> dict:
        number = _id(number, "production_order", "production order")
        if number not in self.cache:
            row = self.db.one("SELECT * FROM production_order WHERE number = ?", (number,))
            if row is None and number.isascii() and number.isdigit() and len(number) <= 18:   # an id
                row = self.db.one("SELECT * FROM production_order WHERE id = ?", (int(number),))
            if row is None:
                raise RowFault("production_order", f"no production order '{number}' (`omnictl plan list` shows them)")
            order = dict(row)
            order["operations"] = {r["seq"]: dict(r) for r in self.db.query(
                "SELECT * FROM operation WHERE production_id = ? ORDER BY seq", (order["id"],))}
            order["last_seq"] = max(order["operations"], default=None)
            self.cache[number] = order
        order = self.cache[number]
        if order["status"] == "cancelled":
            raise RowFault("production_order", f"production order {order['number']} is cancelled")
        return order


def _rows_imported_before(db: Database, sha256: str, batch: int) -> dict[int, int]:
    """Row → batch, for the rows earlier imports of this same file kept (those had rejects)."""
    return {r["row_no"]: r["batch_id"] for r in db.query(
        "SELECT x.row_no, x.batch_id FROM import_batch b JOIN (SELECT batch_id, row_no FROM shopfloor_report "
        "UNION ALL SELECT batch_id, row_no FROM material_issue) x ON x.batch_id = b.id "
        "WHERE b.kind = ? AND b.sha256 = ? AND b.undone_at IS NULL AND b.id != ?", (KIND, sha256, batch))}


def _day(cells: _Cells, dates: V.DateParser, today: str) -> str:
    text = cells.need("date")
    try:
        _, day = dates(text)
    except ValueError:
        raise RowFault("date", f"'{text}' is not a date (YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY or YYYYMMDD)") from None
    if day > today:
        raise RowFault("date", f"'{text}' is in the future; reports record what has happened")
    return day


def _number(cells: _Cells, name: str, *, required: bool = False) -> float:
    text = cells.need(name) if required else cells.get(name)
    if not text:
        return 0.0
    try:
        value = V.parse_quantity(text)
    except ValueError:
        raise RowFault(name, f"'{text}' is not a number") from None
    if value < 0:
        raise RowFault(name, f"'{text}' is negative")
    return value


def _location(order: dict, refs: _Refs) -> str:
    if order["location"]:
        return order["location"]
    if refs.default_location is not None:
        return refs.default_location
    raise RowFault("production_order", f"production order {order['number']} has no location and "
                                        f"{refs.why_no_default()}")


def _report(db: Database, cells: _Cells, row_no: int, batch: int, day: str, order: dict, refs: _Refs, actor: str,
            result: ShopfloorImportResult) -> None:
    text = cells.need("operation")
    try:
        seq = V.parse_quantity(text)
    except ValueError:
        seq = None
    if seq is None or seq != int(seq):
        raise RowFault("operation", f"'{text}' is not an operation number (its seq, e.g. 10)")
    op = order["operations"].get(int(seq))
    if op is None:
        known = ", ".join(map(str, order["operations"])) or "none"
        raise RowFault("operation", f"production order {order['number']} has no operation {int(seq)} "
                                     f"(its operations: {known})")
    center = cells.get("work_center")
    if center and center.casefold() != op["work_center"].casefold():
        raise RowFault("work_center", f"operation {op['seq']} of {order['number']} is on work center "
                                       f"{op['work_center']}, not {center}")
    good = _number(cells, "good_qty", required=True)
    scrap = _number(cells, "scrap_qty")
    run = _number(cells, "run_min")
    down = _number(cells, "downtime_min")
    last = op["seq"] == order["last_seq"]
    location = _location(order, refs) if last and good > EPSILON else None
    db.execute("INSERT INTO shopfloor_report (batch_id, row_no, report_date, production_id, operation_id, "
               "work_center, good_qty, scrap_qty, run_min, downtime_min, downtime_reason, operator) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (batch, row_no, day, order["id"], op["id"], op["work_center"], good, scrap, run, down,
                cells.get("downtime_reason") or None, cells.get("operator") or None))
    op["qty_done"] += good
    op["qty_scrap"] += scrap
    was = op["status"]
    if was != "done":
        op["status"] = ("done" if op["qty_done"] >= order["quantity"] - EPSILON
                        else "partly done" if op["qty_done"] > EPSILON else "started")
    if op["status"] == "done" and was != "done":
        result.operations_done.append(f"{order['number']}/{op['seq']}")
    db.execute("UPDATE operation SET qty_done = ?, qty_scrap = ?, status = ? WHERE id = ?",
               (op["qty_done"], op["qty_scrap"], op["status"], op["id"]))
    move_id = None
    if last and good > EPSILON:
        move_id = _post(db, Move(order["sku"], location, good, "produce", instant(day),
                                 reason=f"{order['number']} operation {op['seq']}: good output",
                                 batch_id=batch, source_row=row_no, ref=order["number"]), actor)
        result.produced += good
        result.moves += 1
    order["reported"] = True
    result.reports += 1
    result.good += good
    result.scrap += scrap
    result.rows.append(ShopfloorRow(row=row_no, kind="report", production_order=order["number"], operation=op["seq"],
                                    sku=order["sku"], good=good, scrap=scrap, move=move_id,
                                    operation_status=op["status"]))


def _issue(db: Database, cells: _Cells, row_no: int, batch: int, day: str, order: dict, refs: _Refs, actor: str,
           result: ShopfloorImportResult) -> None:
    component = cells.need("component")
    try:
        component = refs.sku(component)
    except RowFault as fault:
        raise RowFault("component", str(fault)) from None
    quantity = _number(cells, "quantity", required=True)
    if quantity <= EPSILON:
        raise RowFault("quantity", f"'{cells.get('quantity')}' is not more than 0")
    location = cells.get("location")
    location = refs.location(location) if location else _location(order, refs)
    db.execute("INSERT INTO material_issue (batch_id, row_no, issue_date, production_id, component, quantity, "
               "location) VALUES (?, ?, ?, ?, ?, ?, ?)",
               (batch, row_no, day, order["id"], component, quantity, location))
    if db.one("SELECT 1 FROM bom_line WHERE parent = ? AND component = ?", (order["sku"], component)) is None:
        result.notes.append(f"row {row_no}: {component} is not in the bill of materials of {order['sku']} "
                            f"({order['number']}); issued all the same")
    move_id = _post(db, Move(component, location, -quantity, "consume", instant(day),
                             reason=f"issued to {order['number']}", batch_id=batch, source_row=row_no,
                             ref=order["number"]), actor)
    result.issues += 1
    result.consumed += quantity
    result.moves += 1
    result.rows.append(ShopfloorRow(row=row_no, kind="issue", production_order=order["number"], sku=component,
                                    quantity=quantity, move=move_id))


def _post(db: Database, move: Move, actor: str) -> int:
    post(db, [move], actor)
    return db.scalar("SELECT max(id) FROM stock_move")


def _advance_orders(db: Database, orders: _Orders, result: ShopfloorImportResult) -> None:
    """Reported orders become started; done when their last operation is done."""
    now = clock.utc_now_iso()
    for order in orders.cache.values():
        if not order.get("reported"):
            continue
        last = order["operations"].get(order["last_seq"])
        status = order["status"]
        if last is not None and last["status"] == "done":
            status = "done"
        elif status in ("planned", "released"):
            status = "started"
        if status == order["status"]:
            continue
        db.execute("UPDATE production_order SET status = ?, updated_at = ? WHERE id = ?", (status, now, order["id"]))
        if status == "started" or order["status"] in ("planned", "released"):
            result.orders_started.append(order["number"])
        if status == "done":
            result.orders_done.append(order["number"])
        order["status"] = status
    if result.produced > EPSILON:
        result.notes.append(f"{_qty(result.produced)} unit(s) of good output posted as 'produce' moves")
