"""Read a stock snapshot file (counted or another system's on-hand) into rows, by column name.

Layouts, told apart by their header names (never by position):
- a plain `sku,location,qty` CSV (aliases below; the location column may be absent when
  `--location` says where everything is);
- Shopify's current inventory export: one row per variant per location, `SKU`, `Location`,
  `On hand` (preferred) or `Available`;
- Shopify's older layout where each location is a column (`Handle,Title,...,SKU,<Location
  A>,<Location B>`): the columns that are not Shopify's own hold the quantities and name
  the location. A hand-made variant `SKU,<Location>,location` (one such column plus a
  `location` column) takes the location from the `location` value (else from the header);
- Amazon's inventory report (`sku, asin, price, quantity`, TAB, BOM): no location column.

Location names are matched to omnictl locations by code or by name (case-insensitive).
`--location L` maps a file that names one location (or none) wholly to L; in a file that
names several (each of which must be known), it selects L's rows and skips the others. An
unknown location is a file-level fault naming the row, column and value. Row faults (a blank SKU, an Excel
error or an unreadable quantity) are rejects with a reason; duplicates are kept as rows
(the caller sums them, see `combine`); negative quantities are data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from omnictl import values as V
from omnictl.db import Database
from omnictl.errors import InputFileError, NotFound
from omnictl.master import Col, bind_columns
from omnictl.models import RejectInfo
from omnictl.tabular import Table, normalise_header, open_table

SNAPSHOT_COLUMNS = [
    Col("sku", ("sku code", "seller sku", "seller-sku", "variant sku", "item sku", "product sku", "item code",
                "商家编码", "货号", "sku编码")),
    Col("location", ("location code", "location name", "warehouse", "store", "仓库", "库位", "门店")),
    # The first name present wins: Shopify's `On hand` before its `Available`.
    Col("on_hand", ("quantity", "qty", "available", "stock", "stock on hand", "counted", "count",
                    "数量", "库存", "现有库存", "可用库存", "盘点数量")),
]
# Columns of Shopify's (and common product exports') own: never a location's quantity column.
NOT_LOCATIONS = {normalise_header(h) for h in (
    "Handle", "Title", "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name",
    "Option3 Value", "HS Code", "COO", "Barcode", "Variant Barcode", "Incoming", "Unavailable", "Committed",
    "asin", "price", "index", "Design No.", "Category", "Size", "Color", "Colour", "Name", "Product Name",
    "Description", "Vendor", "Type", "Variant", "Image", "Weight", "Unit", "Cost")}
EXCEL_ERRORS = {"#REF!", "#N/A", "#VALUE!", "#NAME?", "#DIV/0!", "#NULL!", "#NUM!", "#SPILL!", "#CALC!"}
NOT_STOCKED = {"not stocked", "not tracked"}
NAMED = "location columns"


@dataclass(slots=True)
class SnapshotRow:
    sku: str
    location: str          # an omnictl location code
    quantity: float
    row_no: int
    values: list[str] = field(default_factory=list, repr=False)     # the file's row, for a reject


@dataclass(slots=True)
class Combined:
    """One SKU at one location: the sum of its rows."""

    sku: str
    location: str
    quantity: float
    rows: list[int]


@dataclass
class Snapshot:
    path: Path
    sha256: str
    layout: str
    rows: list[SnapshotRow] = field(default_factory=list)
    rejects: list[RejectInfo] = field(default_factory=list)
    rows_read: int = 0
    skipped: int = 0                 # quantities of other locations (under --location) or "not stocked"
    locations: list[str] = field(default_factory=list)    # the omnictl locations the file covers
    sku_column: str = "sku"
    rejected_skus: set[tuple[str, str]] = field(default_factory=set)    # (SKU, location) of rejected quantities
    table: Table | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.path.name

    def raw(self, row: SnapshotRow) -> str:
        return self.table.raw_text(row.values) if self.table is not None else ""


def combine(rows: list[SnapshotRow]) -> dict[tuple[str, str], Combined]:
    """Rows per (SKU, location), summed, in file order; a key with several rows is a duplicate."""
    out: dict[tuple[str, str], Combined] = {}
    for row in rows:
        key = (row.sku, row.location)
        found = out.get(key)
        if found is None:
            out[key] = Combined(row.sku, row.location, row.quantity, [row.row_no])
        else:
            found.quantity += row.quantity
            found.rows.append(row.row_no)
    return out


class _Locations:
    """omnictl locations by code or by name, case-insensitive."""

    def __init__(self, db: Database):
        self.by_key: dict[str, str] = {}
        rows = db.query("SELECT code, name FROM location ORDER BY code")
        self.codes = [r["code"] for r in rows]
        for r in rows:                       # names first, so that a code wins over a name
            self.by_key.setdefault(r["name"].strip().casefold(), r["code"])
        for r in rows:
            self.by_key[r["code"].strip().casefold()] = r["code"]

    def find(self, *texts: str) -> str | None:
        for text in texts:
            code = self.by_key.get(text.strip().casefold()) if text and text.strip() else None
            if code is not None:
                return code
        return None


def clean(text: str) -> str:
    """A value as written, trimmed; a value wrapped in literal quotes (`"X "`) loses them."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    return text


@dataclass(slots=True)
class _Cell:
    """One quantity to read: a row's SKU, the quantity's text and where its location comes from."""

    row_no: int
    sku: str
    text: str
    column: str                 # the quantity column's header as written
    key: str                    # the location as the file names it ('' when it names none)
    values: list[str]           # the row, for a reject's raw text
    alternative: str = ""       # a second name to try (the header of a location-named column)


def read_snapshot(db: Database, path: str | Path, location: str | None = None) -> Snapshot:
    """Read FILE into rows with omnictl location codes; a file-level fault raises InputFileError."""
    table = open_table(path)
    locations = _Locations(db)
    if location is not None and location not in locations.codes:
        raise NotFound(f"no location '{location}'; `omnictl master import locations FILE` adds them")
    bound = bind_columns("stock snapshot", table, SNAPSHOT_COLUMNS)
    if "sku" not in bound:
        raise InputFileError(f"{table.path}: missing required column 'sku' for a stock snapshot "
                             f"(expected header: sku, location, quantity; or a Shopify or Amazon inventory export)")
    layout, quantity_columns = _layout(table, bound)
    snapshot = Snapshot(Path(table.path), table.sha256, layout, sku_column=table.raw_header[bound["sku"]].strip(),
                        table=table)
    cells = list(_cells(table, bound, quantity_columns, snapshot))
    resolve = _location_rule(table, cells, locations, location, bound)
    location_column = table.raw_header[bound["location"]].strip() if "location" in bound else ""
    not_numbers = 0
    for cell in cells:
        try:
            code = resolve(cell)
        except RowFault as fault:
            _reject(snapshot, table, cell.row_no, location_column, str(fault), cell)
            continue
        if code is None or _not_stocked(cell.text) or (not cell.text and layout == NAMED):
            snapshot.skipped += 1             # another location's, or not stocked there
            continue
        if not cell.text:
            _reject(snapshot, table, cell.row_no, cell.column, "the quantity is empty", cell)
            snapshot.rejected_skus.add((cell.sku, code))
            continue
        try:
            quantity = V.parse_quantity(cell.text)
        except ValueError as err:
            _reject(snapshot, table, cell.row_no, cell.column, str(err), cell)
            snapshot.rejected_skus.add((cell.sku, code))
            not_numbers += 1
            continue
        snapshot.rows.append(SnapshotRow(cell.sku, code, float(quantity), cell.row_no, cell.values))
    if layout == NAMED and not snapshot.rows and not_numbers:
        names = ", ".join(repr(table.raw_header[ix].strip()) for ix in quantity_columns)
        raise InputFileError(f"{table.path}: no quantity column: {names} holds no numbers (expected a column named "
                             f"quantity, qty, on hand, available or stock, or columns named after locations)")
    snapshot.locations = sorted({r.location for r in snapshot.rows} | ({location} if location else set()))
    return snapshot


def _not_stocked(text: str) -> bool:
    return bool(text) and text[0].isalpha() and " ".join(text.casefold().split()) in NOT_STOCKED


def _layout(table: Table, bound: dict[str, int]) -> tuple[str, list[int]]:
    """The layout's name and the columns that hold quantities."""
    header = set(table.header)
    if "on_hand" in bound:
        if "asin" in header:
            name = "amazon inventory report"
        elif "handle" in header and "location" in bound:
            name = "shopify inventory export"
        else:
            name = "sku, location, quantity"
        return name, [bound["on_hand"]]
    taken = {bound["sku"], bound.get("location", -1)}
    columns = [ix for ix, name in enumerate(table.header)
               if ix not in taken and name and name not in NOT_LOCATIONS
               and not name.startswith(("option", "variant ", "quantity price", "quantity lower"))]
    if not columns:
        raise InputFileError(f"{table.path}: no quantity column (expected one named quantity, qty, on hand, "
                             f"available or stock, or columns named after locations as in Shopify's older "
                             f"inventory export)")
    return NAMED, columns


def _cells(table: Table, bound: dict[str, int], quantity_columns: list[int], snapshot: Snapshot):
    """Each quantity cell with its SKU and where its location comes from:
    a quantity column: the location column's value (or nothing: --location);
    location-named columns: the header, except that a single such column beside a location
    column takes the location from that column's value first (a hand-edited export)."""
    sku_ix, location_ix = bound["sku"], bound.get("location")
    sku_column = table.raw_header[sku_ix].strip()
    named = "on_hand" not in bound
    for row_no, values in table.data_rows():
        snapshot.rows_read += 1
        sku = clean(values[sku_ix]) if sku_ix < len(values) else ""
        reason = None
        if not sku:
            reason = "the SKU is empty"
        elif sku.upper() in EXCEL_ERRORS:
            reason = f"'{sku}' is an Excel error, not a SKU"
        else:
            try:
                V.check_id(sku, "SKU")
            except ValueError as err:
                reason = str(err)
        if reason is not None:
            _reject(snapshot, table, row_no, sku_column, reason, None, values)
            continue
        where = clean(values[location_ix]) if location_ix is not None and location_ix < len(values) else ""
        for ix in quantity_columns:
            header = table.raw_header[ix].strip()
            text = clean(values[ix]) if ix < len(values) else ""
            if not named:
                yield _Cell(row_no, sku, text, header, where, values)
            elif location_ix is not None and len(quantity_columns) == 1:
                yield _Cell(row_no, sku, text, header, where, values, alternative=header)
            else:
                yield _Cell(row_no, sku, text, header, header, values)


class RowFault(ValueError):
    pass


def _location_rule(table: Table, cells: list[_Cell], locations: _Locations, override: str | None,
                   bound: dict[str, int]):
    """A function from a cell to its location code, None to skip it, or RowFault."""
    keys = list(dict.fromkeys(c.key for c in cells if c.key))
    column = table.raw_header[bound["location"]].strip() if "location" in bound else None
    if override is not None:
        if len(keys) <= 1:
            return lambda cell: override
        for cell in cells:
            if cell.key and locations.find(cell.key) is None:
                raise _unknown(table, cell, cell.key, column, override)
        chosen = {k for k in keys if locations.find(k) == override}
        if not chosen:
            raise InputFileError(f"{table.path}: names the locations {', '.join(repr(k) for k in keys[:5])}"
                                 f"{' and more' if len(keys) > 5 else ''}, none of which is location "
                                 f"'{override}' (matched by code or name)")

        def select(cell: _Cell) -> str | None:
            if not cell.key:
                raise RowFault("the location is empty")
            return override if cell.key in chosen else None

        return select
    if column is None and not keys:
        raise InputFileError(f"{table.path}: has no location column; give --location CODE to say where "
                             f"its quantities are")
    known: dict[tuple[str, str], str] = {}
    for cell in cells:
        pair = (cell.key, cell.alternative)
        if pair in known or not (cell.key or cell.alternative):
            continue
        code = locations.find(cell.key, cell.alternative)
        if code is None:
            raise _unknown(table, cell, cell.key or cell.alternative, column)
        known[pair] = code

    def resolve(cell: _Cell) -> str | None:
        if not (cell.key or cell.alternative):
            raise RowFault("the location is empty")
        return known[(cell.key, cell.alternative)]

    return resolve


def _unknown(table: Table, cell: _Cell, value: str, column: str | None, override: str | None = None
             ) -> InputFileError:
    field_name = column if column and cell.key and cell.key != cell.column else cell.column
    return InputFileError(f"{table.path}: row {cell.row_no}, column '{field_name}': no location '{value}' "
                          f"(matched by code or name); add it with `omnictl master import locations FILE`"
                          + ("" if override else " or give --location CODE"))


def _reject(snapshot: Snapshot, table: Table, row_no: int, column: str, reason: str, cell: _Cell | None,
            values: list[str] | None = None) -> None:
    sku = f" (SKU '{cell.sku}')" if cell is not None else ""
    values = cell.values if cell is not None else values or []
    snapshot.rejects.append(RejectInfo(row=row_no, field=column, reason=f"row {row_no}, column '{column}'{sku}: "
                                       f"{reason}", raw=table.raw_text(values)))
