"""Stock inputs: purchase orders (open supply), goods receipts, transfers and adjustments.

A purchase-order file has one row per PO line; it is one batch. A PO is keyed by its
number: a newer file updates the quantities and dates of its open lines (never below what
was received) and adds new lines; a PO the file does not list is kept open and named,
never cancelled by its absence. Open supply (ordered − received of open POs) is what
`inventory.positions` counts.

A receipt file posts one 'receipt' move per row (batch and row kept, so `stock why`
traces it) and books the quantity against the PO line it names, else against the oldest
open lines for that SKU and location; a PO closes when every line is received; receiving
more than ordered is allowed and reported. The same file twice posts nothing (its SHA-256):
imported again after some rows were rejected, only those rows are tried again. A row whose
receipt number was already received is skipped.

Transfers and adjustments are single transactions of one or two moves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from omnictl import audit, clock, settings
from omnictl import values as V
from omnictl.db import Database
from omnictl.errors import InputFileError, NotFound, UsageError
from omnictl.fx import DATE_FORMATS, RowFault
from omnictl.inventory import Move, check_time, instant, on_hand, post
from omnictl.batches import DryRun, finish_batch
from omnictl.master import Col, bind_columns
from omnictl.models import (PurchaseImportResult, PurchaseLineInfo, ReceiptImportResult, ReceivedRow,
                            RejectInfo, StockChange)
from omnictl.tabular import Table, open_table

EPSILON = 1e-9
PO_NUMBER = Col("po_number", ("po", "po no", "po no.", "po #", "po number", "purchase order", "purchase order number",
                              "purchase order no", "采购单号", "采购订单号", "采购单编号"))
SKU = Col("sku", ("item", "item code", "sku code", "product code", "商家编码", "货号", "物料编码", "商品编码"),
          required=True)
LOCATION = Col("location", ("warehouse", "location code", "ship to", "deliver to", "仓库", "收货仓库"))

PO_COLUMNS = [
    Col(PO_NUMBER.name, PO_NUMBER.aliases, required=True),
    Col("supplier", ("vendor", "supplier name", "vendor name", "供应商", "供应商名称"), required=True),
    SKU,
    Col("quantity", ("qty", "ordered qty", "order qty", "quantity ordered", "数量", "采购数量"), required=True),
    Col("expected_date", ("expected", "expected on", "expected date", "eta", "due date", "delivery date",
                          "预计到货", "预计到货日期", "到货日期", "交期"), required=True),
    LOCATION,
    Col("unit_cost", ("cost", "unit price", "price", "单价", "采购单价")),
    Col("currency", ("ccy", "currency code", "币种", "货币")),
    Col("ordered_date", ("order date", "ordered on", "po date", "下单日期", "采购日期")),
]
RECEIPT_COLUMNS = [
    SKU,
    Col("quantity", ("qty", "received qty", "quantity received", "received", "收货数量", "实收数量", "数量"),
        required=True),
    LOCATION,
    PO_NUMBER,
    Col("received_at", ("received on", "received date", "receipt date", "date", "收货日期", "入库日期", "收货时间")),
    Col("receipt", ("receipt number", "receipt no", "grn", "grn number", "goods receipt", "delivery note",
                    "收货单号", "入库单号")),
]
ADJUST_KINDS = ("adjustment", "scrap")


# -- shared pieces --------------------------------------------------------------------------

class _Cells:
    """One row's cells by canonical column name."""

    def __init__(self, bound: dict[str, int], values: list[str]):
        self.bound, self.values = bound, values

    def get(self, name: str) -> str:
        ix = self.bound.get(name)
        return self.values[ix].strip() if ix is not None and ix < len(self.values) else ""

    def need(self, name: str) -> str:
        text = self.get(name)
        if not text:
            raise RowFault(name, "is empty")
        return text


class _Refs:
    """Master data a row is checked against, read once per file."""

    def __init__(self, db: Database):
        self.db = db
        locations = db.query("SELECT code, kind FROM location ORDER BY code")
        self.locations = {r["code"] for r in locations}
        candidates = [r["code"] for r in locations if r["kind"] == "warehouse"] or sorted(self.locations)
        self.default_location = candidates[0] if len(candidates) == 1 else None
        self.candidates = candidates
        self._skus: dict[str, bool] = {}

    def sku(self, code: str) -> str:
        code = _id(code, "sku", "SKU")
        known = self._skus.get(code)
        if known is None:
            known = self._skus[code] = self.db.one("SELECT 1 FROM sku WHERE code = ?", (code,)) is not None
        if not known:
            raise RowFault("sku", f"no master SKU '{code}' (`omnictl master import skus FILE` adds it)")
        return code

    def location(self, code: str) -> str:
        if code not in self.locations:
            raise RowFault("location", f"no location '{code}' (`omnictl master import locations FILE` adds it)")
        return code

    def why_no_default(self) -> str:
        if not self.candidates:
            return "there is no location yet (`omnictl master import locations FILE` adds them)"
        return (f"there are {len(self.candidates)} warehouses ({', '.join(self.candidates)}), "
                "so each row must name one")


def _id(text: str, name: str, what: str) -> str:
    try:
        return V.check_id(text, what)
    except ValueError as err:
        raise RowFault(name, str(err)) from None


def _dates() -> V.DateParser:
    return V.DateParser(DATE_FORMATS, clock.zone().key)


def _date(cells: _Cells, name: str, dates: V.DateParser) -> tuple[str | None, str | None]:
    """(UTC instant or None, calendar date) of a date cell; ('', None) when empty."""
    text = cells.get(name)
    if not text:
        return None, None
    try:
        return dates(text)
    except ValueError:
        raise RowFault(name, f"'{text}' is not a date (YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY or YYYYMMDD, "
                              "optionally with a time)") from None


def _positive(cells: _Cells, name: str) -> float:
    text = cells.need(name)
    try:
        value = V.parse_quantity(text)
    except ValueError:
        raise RowFault(name, f"'{text}' is not a number") from None
    if value <= 0:
        raise RowFault(name, f"'{text}' is not more than 0")
    return value


def _same_file(db: Database, kind: str, sha256: str) -> int | None:
    """The batch that already imported this very file whole (no rejects), if any. A file
    with rejected rows can be imported again once master data is fixed."""
    return db.scalar("SELECT id FROM import_batch WHERE kind = ? AND sha256 = ? AND undone_at IS NULL "
                     "AND rejected = 0 ORDER BY id DESC LIMIT 1", (kind, sha256))


def _start_batch(db: Database, kind: str, table: Table, actor: str) -> int:
    return db.execute("INSERT INTO import_batch (kind, file_name, sha256, actor, started_at) VALUES (?, ?, ?, ?, ?)",
                      (kind, table.name, table.sha256, actor, clock.utc_now_iso())).lastrowid


def _reject(table: Table, bound: dict[str, int], row_no: int, values: list[str], fault: RowFault) -> RejectInfo:
    where = (f"column '{table.raw_header[bound[fault.field]].strip()}'" if fault.field in bound
             else f"field {fault.field}")
    return RejectInfo(row=row_no, field=fault.field, reason=f"row {row_no}, {where}: {fault}",
                      raw=table.raw_text(values))


def _qty(value: float) -> str:
    return V.quantity_text(value)


# -- purchase orders ------------------------------------------------------------------------

@dataclass
class _Line:
    sku: str
    quantity: float
    expected_on: str
    unit_cost_minor: int | None
    currency: str | None
    row: int


@dataclass
class _Order:
    number: str
    supplier: str
    location: str
    ordered_on: str | None
    row: int
    lines: dict[str, _Line] = field(default_factory=dict)


def import_purchases(db: Database, path: str | Path, *, dry_run: bool = False, strict: bool = False,
                     actor: str = "unknown") -> PurchaseImportResult:
    """Open purchase orders from a file, one row per PO line; the file is one batch."""
    table = open_table(path)
    bound = bind_columns("purchase orders", table, PO_COLUMNS)
    refs = _Refs(db)
    if "location" not in bound and refs.default_location is None:
        raise InputFileError(f"{path}: has no location column and {refs.why_no_default()}; add a location column")
    result = PurchaseImportResult(file=str(path), batch=None, dry_run=dry_run)
    previous = _same_file(db, "purchases", table.sha256)
    if previous is not None:
        result.already_imported_as = previous
        return result
    dates, base = _dates(), settings.get(db, "company.currency")
    try:
        with db.write():
            batch = result.batch = _start_batch(db, "purchases", table, actor)
            orders: dict[str, _Order] = {}
            listed: set[str] = set()
            for row_no, values in table.data_rows():
                result.rows_read += 1
                cells = _Cells(bound, values)
                listed.add(cells.get("po_number"))
                try:
                    _merge(orders, _po_row(cells, row_no, refs, dates, base), result)
                except RowFault as fault:
                    result.rejects.append(_reject(table, bound, row_no, values, fault))
            for order in orders.values():
                _write_order(db, order, batch, result)
            result.not_in_file = [r["number"] for r in db.query(
                "SELECT number FROM purchase_order WHERE status = 'open' ORDER BY number") if r["number"] not in listed]
            if result.not_in_file:
                shown = ", ".join(result.not_in_file[:10]) + (", …" if len(result.not_in_file) > 10 else "")
                result.notes.append(f"{len(result.not_in_file)} open purchase order(s) from earlier files are not in "
                                    f"this file and stay open (a PO is never cancelled by its absence): {shown}")
            finish_batch(db, batch, path, result, strict, dry_run)
    except DryRun:
        result.batch = None
    return result


def _po_row(cells: _Cells, row_no: int, refs: _Refs, dates: V.DateParser, base: str | None) -> tuple[_Order, _Line]:
    number = _id(cells.need("po_number"), "po_number", "PO number")
    supplier = cells.need("supplier")
    sku = refs.sku(cells.need("sku"))
    quantity = _positive(cells, "quantity")
    if not cells.get("expected_date"):
        raise RowFault("expected_date", "is empty")
    expected_on = _date(cells, "expected_date", dates)[1]
    location = cells.get("location")
    if location:
        location = refs.location(location)
    elif refs.default_location is not None:
        location = refs.default_location
    else:
        raise RowFault("location", f"is empty and {refs.why_no_default()}")
    ordered_on = _date(cells, "ordered_date", dates)[1]
    cost, currency = _cost(cells, base)
    return (_Order(number, supplier, location, ordered_on, row_no),
            _Line(sku, quantity, expected_on, cost, currency, row_no))


def _cost(cells: _Cells, base: str | None) -> tuple[int | None, str | None]:
    code = cells.get("currency").upper()
    if code and not re.fullmatch(r"[A-Z]{3}", code):
        raise RowFault("currency", f"'{cells.get('currency')}' is not a three-letter currency code such as USD")
    text = cells.get("unit_cost")
    if not text:
        return None, code or None
    try:
        amount = V.parse_decimal(text)
    except ValueError:
        raise RowFault("unit_cost", f"'{text}' is not an amount") from None
    if amount < 0:
        raise RowFault("unit_cost", f"'{text}' is negative")
    currency = code or V.currency_symbol(text) or base
    return V.to_minor(amount, currency), currency


def _merge(orders: dict[str, _Order], parsed: tuple[_Order, _Line], result: PurchaseImportResult) -> None:
    """Rows of one PO make one order; a PO's supplier and location are those of its first row."""
    head, line = parsed
    order = orders.get(head.number)
    if order is not None:
        if head.supplier.casefold() != order.supplier.casefold():
            raise RowFault("supplier", f"{head.number} is from '{order.supplier}' (row {order.row}), "
                                        f"not '{head.supplier}'")
        if head.location != order.location:
            raise RowFault("location", f"{head.number} is for location {order.location} (row {order.row}), "
                                        f"not {head.location}")
        order.ordered_on = order.ordered_on or head.ordered_on
    else:
        order = orders[head.number] = head
    same = order.lines.get(line.sku)
    if same is None:
        order.lines[line.sku] = line
        return
    same.quantity += line.quantity
    same.expected_on = min(same.expected_on, line.expected_on)
    result.notes.append(f"{order.number} lists {line.sku} on rows {same.row} and {line.row}: "
                        f"quantities summed to {_qty(same.quantity)}, earliest date {same.expected_on} kept")


def _write_order(db: Database, order: _Order, batch: int, result: PurchaseImportResult) -> None:
    existing = db.one("SELECT * FROM purchase_order WHERE number = ?", (order.number,))
    if existing is None:
        po_id = db.execute("INSERT INTO purchase_order (number, supplier, location, ordered_on, expected_on, "
                           "batch_id) VALUES (?, ?, ?, ?, ?, ?)",
                           (order.number, order.supplier, order.location, order.ordered_on,
                            min(line.expected_on for line in order.lines.values()), batch)).lastrowid
        for line in order.lines.values():
            _insert_line(db, po_id, line)
        result.orders_created += 1
        result.lines_created += len(order.lines)
        return
    po_id = existing["id"]
    old_lines = {r["sku"]: r for r in db.query("SELECT * FROM purchase_line WHERE po_id = ?", (po_id,))}
    if existing["status"] != "open":
        result.lines_unchanged += len(order.lines)
        if _differs(existing, order, old_lines):
            result.notes.append(f"{order.number} is {existing['status']}, so this file's changes to it are not applied")
        return
    changed = False
    header = {"supplier": order.supplier, "location": order.location,
              "ordered_on": order.ordered_on or existing["ordered_on"]}
    if any(existing[k] != v for k, v in header.items()):
        db.execute("UPDATE purchase_order SET supplier = ?, location = ?, ordered_on = ? WHERE id = ?",
                   (*header.values(), po_id))
        changed = True
    for sku, line in order.lines.items():
        old = old_lines.get(sku)
        if old is None:
            _insert_line(db, po_id, line)
            result.lines_created += 1
            changed = True
            continue
        quantity = line.quantity
        if quantity < old["received"] - EPSILON:
            result.notes.append(f"{order.number} {sku}: the file orders {_qty(quantity)} but {_qty(old['received'])} "
                                f"are already received, so the line keeps {_qty(old['received'])}")
            quantity = old["received"]
        cost = line.unit_cost_minor if line.unit_cost_minor is not None else old["unit_cost_minor"]
        currency = line.currency or old["currency"]
        if (abs(quantity - old["quantity"]) > EPSILON or line.expected_on != old["expected_on"]
                or cost != old["unit_cost_minor"] or currency != old["currency"]):
            db.execute("UPDATE purchase_line SET quantity = ?, expected_on = ?, unit_cost_minor = ?, currency = ? "
                       "WHERE id = ?", (quantity, line.expected_on, cost, currency, old["id"]))
            result.lines_updated += 1
            changed = True
        else:
            result.lines_unchanged += 1
    kept = sorted(set(old_lines) - set(order.lines))
    if kept:
        result.notes.append(f"{order.number}: line(s) {', '.join(kept)} are not in this file and are kept as they were")
    if not changed:
        return
    db.execute("UPDATE purchase_order SET batch_id = ?, expected_on = (SELECT min(coalesce(expected_on, ?)) "
               "FROM purchase_line WHERE po_id = ?) WHERE id = ?", (batch, existing["expected_on"], po_id, po_id))
    result.orders_updated += 1
    if _close_if_received(db, po_id):
        result.orders_closed += 1
        result.notes.append(f"{order.number} is now received in full and closed")


def _insert_line(db: Database, po_id: int, line: _Line) -> None:
    db.execute("INSERT INTO purchase_line (po_id, sku, quantity, unit_cost_minor, currency, expected_on) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               (po_id, line.sku, line.quantity, line.unit_cost_minor, line.currency, line.expected_on))


def _differs(existing, order: _Order, old_lines: dict) -> bool:
    if existing["supplier"] != order.supplier or existing["location"] != order.location:
        return True
    for sku, line in order.lines.items():
        old = old_lines.get(sku)
        if old is None or abs(old["quantity"] - line.quantity) > EPSILON or old["expected_on"] != line.expected_on:
            return True
    return False


def _close_if_received(db: Database, po_id: int) -> bool:
    """Close an open PO whose every line is received; True if it closed now."""
    return db.execute("UPDATE purchase_order SET status = 'closed' WHERE id = ? AND status = 'open' AND NOT EXISTS "
                      "(SELECT 1 FROM purchase_line WHERE po_id = ? AND received < quantity - ?)",
                      (po_id, po_id, EPSILON)).rowcount == 1


def list_purchases(db: Database, *, open_only: bool = False, supplier: str | None = None) -> Iterator[PurchaseLineInfo]:
    """PO lines by expected date: ordered, received and still open; late = open and past its date."""
    where, params = [], []
    if open_only:
        where.append("po.status = 'open' AND pl.received < pl.quantity")
    if supplier:
        where.append("po.supplier LIKE ? ESCAPE '\\'")
        params.append("%" + re.sub(r"([%_\\])", r"\\\1", supplier.strip()) + "%")
    sql = ("SELECT po.number, po.supplier, po.location, po.ordered_on, po.status, pl.sku, pl.quantity, pl.received, "
           "coalesce(pl.expected_on, po.expected_on) AS expected_on, pl.unit_cost_minor, pl.currency "
           "FROM purchase_line pl JOIN purchase_order po ON po.id = pl.po_id"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY expected_on, po.number, pl.sku")
    today = clock.today().isoformat()

    def info(row) -> PurchaseLineInfo:
        still = max(0.0, row["quantity"] - row["received"]) if row["status"] == "open" else 0.0
        return PurchaseLineInfo(po_number=row["number"], supplier=row["supplier"], location=row["location"],
                                sku=row["sku"], ordered=row["quantity"], received=row["received"], open=still,
                                expected_on=row["expected_on"], ordered_on=row["ordered_on"], status=row["status"],
                                late=still > EPSILON and row["expected_on"] < today,
                                unit_cost_minor=row["unit_cost_minor"], currency=row["currency"])

    return map(info, db.execute(sql, params))


# -- goods receipts -------------------------------------------------------------------------

def receive(db: Database, path: str | Path, *, at: str | None = None, dry_run: bool = False, strict: bool = False,
            actor: str = "unknown") -> ReceiptImportResult:
    """Goods receipts from a file: one 'receipt' move per row, booked against purchase orders."""
    default_at = effective_at(at)
    table = open_table(path)
    bound = bind_columns("goods receipts", table, RECEIPT_COLUMNS)
    refs = _Refs(db)
    if "location" not in bound and "po_number" not in bound and refs.default_location is None:
        raise InputFileError(f"{path}: has no location column and {refs.why_no_default()}; add a location column")
    result = ReceiptImportResult(file=str(path), batch=None, dry_run=dry_run)
    previous = _same_file(db, "receipts", table.sha256)
    if previous is not None:
        result.already_imported_as = previous
        return result
    dates, now = _dates(), clock.utc_now_iso()
    try:
        with db.write():
            batch = result.batch = _start_batch(db, "receipts", table, actor)
            done = _rows_received_before(db, table.sha256, batch)
            touched: dict[int, str] = {}
            for row_no, values in table.data_rows():
                result.rows_read += 1
                if row_no in done:
                    result.skipped += 1
                    continue
                try:
                    _receive_row(db, _Cells(bound, values), row_no, batch, refs, dates, default_at, now, actor,
                                 result, touched)
                except RowFault as fault:
                    result.rejects.append(_reject(table, bound, row_no, values, fault))
            if done:
                result.notes.append(f"{len(done)} row(s) of this file were received by an earlier import of it "
                                    f"(batch {', '.join(map(str, sorted(set(done.values()))))}) and are skipped; "
                                    "only the rows rejected then are tried again")
            for po_id, number in sorted(touched.items()):
                if _close_if_received(db, po_id):
                    result.orders_closed.append(number)
            result.notes.extend(result.over_received)
            if result.orders_closed:
                result.notes.append(f"received in full and closed: {', '.join(result.orders_closed)}")
            finish_batch(db, batch, path, result, strict, dry_run)
    except DryRun:
        result.batch = None
    return result


def _rows_received_before(db: Database, sha256: str, batch: int) -> dict[int, int]:
    """Row → batch, for the rows earlier imports of this same file posted (those had rejects)."""
    return {r["source_row"]: r["batch_id"] for r in db.query(
        "SELECT m.source_row, m.batch_id FROM import_batch b JOIN stock_move m ON m.batch_id = b.id "
        "WHERE b.kind = 'receipts' AND b.sha256 = ? AND b.undone_at IS NULL AND b.id != ? AND m.kind = 'receipt'",
        (sha256, batch))}


def _receive_row(db: Database, cells: _Cells, row_no: int, batch: int, refs: _Refs, dates: V.DateParser,
                 default_at: str, now: str, actor: str, result: ReceiptImportResult, touched: dict[int, str]) -> None:
    sku = refs.sku(cells.need("sku"))
    quantity = _positive(cells, "quantity")
    location = cells.get("location")
    if location:
        location = refs.location(location)
    number = cells.get("po_number")
    lines = _po_line(db, number, sku, location) if number else None
    if not location:
        if lines:
            location = lines[0]["location"]
        elif refs.default_location is not None:
            location = refs.default_location
        else:
            raise RowFault("location", f"is empty and {refs.why_no_default()}")
    utc, day = _date(cells, "received_at", dates)
    when = utc or instant(day) or default_at
    if when > now:
        raise RowFault("received_at", f"'{cells.get('received_at')}' is in the future")
    receipt = cells.get("receipt")
    ref = f"receipt {receipt}" if receipt else None
    if ref is not None:
        earlier = db.one("SELECT m.batch_id, m.source_row, b.file_name FROM stock_move m "
                         "JOIN import_batch b ON b.id = m.batch_id "
                         "WHERE m.ref = ? AND m.sku = ? AND m.location = ? AND m.kind = 'receipt' "
                         "AND b.kind = 'receipts' AND b.undone_at IS NULL AND m.batch_id != ? LIMIT 1",
                         (ref, sku, location, batch))
        if earlier is not None:
            result.skipped += 1
            result.notes.append(f"row {row_no}: receipt {receipt} of {sku} at {location} was already received "
                                f"(batch {earlier['batch_id']}, {earlier['file_name']} row {earlier['source_row']}); "
                                "skipped")
            return
    if lines is None:
        lines = db.query(
            "SELECT pl.id, pl.quantity, pl.received, po.id AS po_id, po.number, po.location FROM purchase_line pl "
            "JOIN purchase_order po ON po.id = pl.po_id WHERE pl.sku = ? AND po.location = ? AND po.status = 'open' "
            "AND pl.received < pl.quantity ORDER BY po.ordered_on IS NULL, po.ordered_on, "
            "coalesce(pl.expected_on, po.expected_on), po.id", (sku, location))
    against, over = _book(db, lines, quantity, sku, row_no, result)
    for line in lines:
        if line["number"] in against:
            touched[line["po_id"]] = line["number"]
    reason = f"received against {', '.join(against)}" if against else "received, no open purchase order"
    [move] = _posted(db, [Move(sku, location, quantity, "receipt", when, reason=reason, batch_id=batch,
                               source_row=row_no, ref=ref)], actor)
    result.moves += 1
    result.units += quantity
    result.matched += bool(against)
    result.unmatched += not against
    result.received.append(ReceivedRow(row=row_no, sku=sku, location=location, quantity=quantity, move=move,
                                       effective_at=when, against=against, over_received=over))


def _po_line(db: Database, number: str, sku: str, location: str) -> list:
    po = db.one("SELECT * FROM purchase_order WHERE number = ?", (number,))
    if po is None:
        raise RowFault("po_number", f"no purchase order '{number}' (`omnictl purchases list` shows them)")
    if po["status"] == "cancelled":
        raise RowFault("po_number", f"purchase order {number} is cancelled")
    if location and location != po["location"]:
        raise RowFault("location", f"purchase order {number} is for location {po['location']}, not {location}")
    line = db.one("SELECT pl.id, pl.quantity, pl.received, po.id AS po_id, po.number, po.location "
                  "FROM purchase_line pl JOIN purchase_order po ON po.id = pl.po_id WHERE po.id = ? AND pl.sku = ?",
                  (po["id"], sku))
    if line is None:
        raise RowFault("sku", f"purchase order {number} has no line for {sku}")
    return [line]


def _book(db: Database, lines: list, quantity: float, sku: str, row_no: int,
          result: ReceiptImportResult) -> tuple[list[str], float]:
    """Add `quantity` to the lines' received, oldest first; the last one takes what is left over."""
    against, over, remaining = [], 0.0, quantity
    for ix, line in enumerate(lines):
        room = max(0.0, line["quantity"] - line["received"])
        take = remaining if ix == len(lines) - 1 else min(remaining, room)
        if take <= EPSILON:
            continue
        db.execute("UPDATE purchase_line SET received = received + ? WHERE id = ?", (take, line["id"]))
        if line["number"] not in against:
            against.append(line["number"])
        remaining -= take
        if take > room + EPSILON:
            over = take - room
            total = line["received"] + take
            result.over_received.append(
                f"row {row_no}: {line['number']} {sku} over-received by {_qty(over)} "
                f"(ordered {_qty(line['quantity'])}, received {_qty(total)} in all)")
        if remaining <= EPSILON:
            break
    return against, over


# -- transfers and adjustments --------------------------------------------------------------

def effective_at(text: str | None, option: str = "--at") -> str:
    """When a move happened: now, or `--at` (a date is the end of that day, today's is now); never later."""
    now = clock.utc_now_iso()
    if text is None:
        return now
    at = check_time(text, option)
    if at > now:
        if len(text.strip()) == 10 and text.strip() == clock.today().isoformat():
            return now
        raise UsageError(f"{option} '{text}' is in the future; moves record what has happened")
    return at


def _quantity(value: str | float, what: str = "QTY") -> float:
    if isinstance(value, (int, float)):
        return value
    try:
        return V.parse_quantity(value.strip())
    except ValueError:
        raise UsageError(f"{what} '{value}' is not a number") from None


def _need(db: Database, sku: str, locations: dict[str, str]) -> None:
    if db.one("SELECT 1 FROM sku WHERE code = ?", (sku,)) is None:
        raise NotFound(f"no master SKU '{sku}'")
    for option, code in locations.items():
        if db.one("SELECT 1 FROM location WHERE code = ?", (code,)) is None:
            raise NotFound(f"no location '{code}' ({option}); `omnictl master import locations FILE` adds them")


def _posted(db: Database, moves: list[Move], actor: str) -> list[int]:
    before = db.scalar("SELECT coalesce(max(id), 0) FROM stock_move")
    post(db, moves, actor)
    return [r[0] for r in db.execute("SELECT id FROM stock_move WHERE id > ? ORDER BY id", (before,))]


def _negative(held: dict[str, float], sku: str, locations: list[str]) -> list[str]:
    return [f"{sku} at {code} is now {_qty(held[code])} on hand (below zero): the book holds less than was "
            "taken out; count it or adjust" for code in locations if held[code] < -EPSILON]


def transfer(db: Database, sku: str, quantity: str | float, source: str, target: str, *, reason: str | None = None,
             at: str | None = None, actor: str = "unknown") -> StockChange:
    """Move stock between two locations: two 'transfer' moves with one reference."""
    units = _quantity(quantity)
    if units <= 0:
        raise UsageError(f"a transfer moves more than 0 units, not {quantity}")
    if source == target:
        raise UsageError(f"--from and --to are both {source}; a transfer moves stock between two locations")
    _need(db, sku, {"--from": source, "--to": target})
    when = effective_at(at)
    with db.write():
        ref = f"transfer T{(db.scalar('SELECT coalesce(max(id), 0) FROM stock_move') or 0) + 1}"
        ids = _posted(db, [Move(sku, source, -units, "transfer", when, reason=reason or f"to {target}", ref=ref),
                           Move(sku, target, units, "transfer", when, reason=reason or f"from {source}", ref=ref)],
                      actor)
        held = _held(db, sku, [source, target])
        audit.record(db, actor, "stock.transfer", f"{sku} from {source} to {target}",
                     {"on_hand": {source: held[source] + units, target: held[target] - units}},
                     {"on_hand": held, "quantity": units, "reason": reason, "ref": ref, "at": when})
    return StockChange(kind="transfer", sku=sku, quantity=units, ref=ref, effective_at=when, moves=ids, on_hand=held,
                       warnings=_negative(held, sku, [source]))


def adjust(db: Database, sku: str, quantity: str | float, location: str, *, reason: str | None,
           kind: str = "adjustment", at: str | None = None, actor: str = "unknown") -> StockChange:
    """A signed correction with a reason ('adjustment'), or scrap (always taken out)."""
    if kind not in ADJUST_KINDS:
        raise UsageError(f"--kind '{kind}' is not one of {', '.join(ADJUST_KINDS)}")
    if not (reason or "").strip():
        raise UsageError(f"an {kind} needs a reason: --reason TEXT")
    units = _quantity(quantity)
    if abs(units) <= EPSILON:
        raise UsageError(f"QTY {quantity} changes nothing; give a signed quantity such as 5 or -3")
    if kind == "scrap":
        units = -abs(units)
    _need(db, sku, {"--location": location})
    when = effective_at(at)
    with db.write():
        ids = _posted(db, [Move(sku, location, units, kind, when, reason=reason.strip())], actor)
        held = _held(db, sku, [location])
        audit.record(db, actor, f"stock.{kind}", f"{sku} at {location}", {"on_hand": held[location] - units},
                     {"on_hand": held[location], "quantity": units, "reason": reason.strip(), "at": when})
    return StockChange(kind=kind, sku=sku, quantity=units, ref=None, effective_at=when, moves=ids, on_hand=held,
                       warnings=_negative(held, sku, [location]))


def _held(db: Database, sku: str, locations: list[str]) -> dict[str, float]:
    held = on_hand(db, sku)
    return {code: held.get((sku, code), 0.0) for code in locations}
