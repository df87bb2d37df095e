"""Master data import: SKUs, locations, channels, aliases and customers from CSV or XLSX
(calendars, work centers, routings and BOMs: omnictl/master_production.py).

Each kind has a documented header (README "Master data"); common aliases of the names are
accepted. A file is one batch: a missing required column refuses the file (nothing
written), a bad row is a reject while good rows are upserted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from omnictl import values as V
from omnictl.channels.profile import all_profiles
from omnictl.db import Database
from omnictl.batches import DryRun, finish_batch
from omnictl.errors import InputFileError, UsageError
from omnictl.models import MasterImportResult, RejectInfo
from omnictl.tabular import Table, normalise_header, open_table
from omnictl import clock

TRUE = {"1", "true", "yes", "y", "t", "x", "是"}
FALSE = {"0", "false", "no", "n", "f", "", "否"}


@dataclass(frozen=True)
class Col:
    name: str
    aliases: tuple[str, ...] = ()
    parse: Callable[[str], object] = str
    required: bool = False
    default: object = None


def _number(text: str) -> float:
    value = V.parse_decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise ValueError(f"'{text}' is negative")
    return value


def _days(text: str) -> int:
    value = _number(text)
    if value < 0 or value != int(value):
        raise ValueError(f"'{text}' is not a whole number of days")
    return int(value)


def _money(text: str) -> int:
    return V.to_minor(V.parse_decimal(text), None)


def _bool(text: str) -> int:
    key = text.strip().lower()
    if key in TRUE:
        return 1
    if key in FALSE:
        return 0
    raise ValueError(f"'{text}' is not yes/no")


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        key = text.strip().lower()
        for option in options:
            if key == option.lower():
                return option
        raise ValueError(f"'{text}' is not one of {', '.join(options)}")
    return parse


def _timezone(text: str) -> str:
    V.zone(text)
    return V.WINDOWS_ZONES.get(text, text)


def _share(text: str) -> float:
    value = _number(text.rstrip("%")) / (100 if text.strip().endswith("%") else 1)
    if not 0 <= value <= 1:
        raise ValueError(f"'{text}' is not a share between 0 and 1 (or 0% to 100%)")
    return value


def _code(text: str) -> str:
    return V.check_id(text, "code")


KINDS: dict[str, list[Col]] = {
    "skus": [
        Col("sku", ("code", "sku code", "item code", "item", "商家编码", "货号"), _code, True),
        Col("name", ("title", "product name", "description", "名称", "品名"), str, True),
        Col("unit", ("uom", "unit of measure", "单位"), str, default="ea"),
        Col("cost", ("unit cost", "cost price", "成本"), _money),
        Col("price", ("list price", "sale price", "售价"), _money),
        Col("kind", ("type", "sku kind", "类型"), _choice("finished", "component", "raw"), default="finished"),
        Col("barcode", ("ean", "upc", "gtin", "条码"), _code),
        Col("safety_stock", ("safety stock", "安全库存"), _non_negative, default=0),
        Col("lead_time_days", ("lead time", "lead time days", "lead_time", "提前期"), _days, default=0),
        Col("make_to_stock", ("mts", "make to stock"), _bool, default=0),
        Col("min_order_qty", ("moq", "min order qty", "minimum order quantity", "最小起订量"), _non_negative, default=0),
    ],
    "locations": [
        Col("location", ("code", "location code", "warehouse", "仓库"), _code, True),
        Col("name", ("location name", "名称"), str, True),
        Col("kind", ("type",), _choice("warehouse", "store", "virtual"), default="warehouse"),
        Col("timezone", ("time zone", "tz"), _timezone),
    ],
    "channels": [
        Col("channel", ("code", "channel code", "渠道"), _code, True),
        Col("name", ("channel name", "名称"), str, True),
        Col("profile", ("layout", "format"), str, True),
        Col("timezone", ("time zone", "tz"), _timezone, default="UTC"),
        Col("location", ("fulfilment location", "fulfillment location", "warehouse"), str),
        Col("lead_time_days", ("lead time", "lead time days", "ship within days"), _days, default=2),
        Col("allocation_share", ("allocation", "share", "stock share"), _share, default=1.0),
        Col("buffer_qty", ("buffer", "buffer quantity"), _non_negative, default=0),
        Col("reserve_unpaid", ("reserve unpaid",), _bool, default=1),
        Col("active", ("enabled",), _bool, default=1),
        Col("daily_files", ("daily files", "sends daily files", "expects daily files", "每日文件"), _bool, default=1),
    ],
    "aliases": [
        Col("channel", ("channel code",), str, True),
        Col("external_sku", ("channel sku", "external sku", "listing id", "listing", "platform sku"), str, True),
        Col("sku", ("master sku", "component", "component sku"), str, True),
        Col("factor", ("quantity", "qty", "per unit", "multiplier"), _non_negative, default=1),
    ],
    "customers": [
        Col("customer", ("code", "customer code", "customer id", "客户编号", "客户代码"), _code, True),
        Col("name", ("customer name", "full name", "姓名"), str),
        Col("tier", ("level", "class", "等级"), _choice("A", "B", "C")),
        Col("phone", ("mobile", "telephone", "手机", "电话"), str),
        Col("email", ("e-mail", "mail", "邮箱"), str),
        Col("address", ("street", "地址"), str),
    ],
}


def header_doc(kind: str) -> str:
    return ", ".join(col.name for col in KINDS[kind])


def bind_columns(kind: str, table: Table, columns: list[Col] | None = None) -> dict[str, int]:
    """Header positions of `columns` (default: the kind's), by name or alias; a missing
    required column refuses the file."""
    columns = KINDS[kind] if columns is None else columns
    position = {name: ix for ix, name in reversed(list(enumerate(table.header)))}
    bound = {}
    for col in columns:
        for alias in (col.name, col.name.replace("_", " "), *col.aliases):
            if normalise_header(alias) in position:
                bound[col.name] = position[normalise_header(alias)]
                break
    missing = [c.name for c in columns if c.required and c.name not in bound]
    if missing:
        raise InputFileError(f"{table.path}: missing required column {', '.join(repr(m) for m in missing)} "
                             f"for {kind} (expected header: {', '.join(c.name for c in columns)})")
    return bound


def _parse_row(kind: str, bound: dict[str, int], values: list[str], row_no: int, table: Table) -> dict:
    record = {}
    for col in KINDS[kind]:
        if col.name not in bound:
            record[col.name] = col.default
            continue
        ix = bound[col.name]
        text = values[ix].strip() if ix < len(values) else ""
        if not text:
            if col.required:
                raise ValueError(f"row {row_no}, column '{table.raw_header[ix].strip()}': is empty")
            record[col.name] = col.default
            continue
        try:
            record[col.name] = col.parse(text)
        except ValueError as err:
            raise ValueError(f"row {row_no}, column '{table.raw_header[ix].strip()}': {err}") from None
    return record


def import_master(db: Database, kind: str, path: str | Path, *, dry_run: bool = False,
                  strict: bool = False, actor: str = "unknown") -> MasterImportResult:
    if kind not in KINDS:
        raise UsageError(f"unknown master data kind '{kind}'; one of {', '.join(KINDS)}")
    table = open_table(path)
    bound = bind_columns(kind, table)
    result = MasterImportResult(kind=kind, file=str(path), batch=None, dry_run=dry_run)
    writer = _WRITERS[kind]
    try:
        with db.write():
            batch = db.execute(
                "INSERT INTO import_batch (kind, file_name, sha256, actor, started_at) VALUES (?, ?, ?, ?, ?)",
                (f"master:{kind}", table.name, table.sha256, actor, clock.utc_now_iso())).lastrowid
            result.batch = batch
            records, failed = [], []
            for row_no, values in table.data_rows():
                result.rows_read += 1
                try:
                    record = _parse_row(kind, bound, values, row_no, table)
                    _check_refs(db, kind, record, row_no)
                    records.append((row_no, values, record))
                except ValueError as err:
                    failed.append((row_no, values))
                    result.rejects.append(RejectInfo(row=row_no, field=None, reason=str(err),
                                                     raw=table.raw_text(values)))
            if kind in _PREPARE:
                records = _PREPARE[kind](db, table, records, failed, result)
            writer(db, [r for _, _, r in records], result)
            finish_batch(db, batch, path, result, strict, dry_run)
    except DryRun:
        result.batch = None
    return result


def _check_refs(db: Database, kind: str, record: dict, row_no: int) -> None:
    def exists(table: str, code: str) -> bool:
        return db.one(f"SELECT 1 FROM {table} WHERE code = ?", (code,)) is not None

    if kind == "channels":
        if record["profile"] not in all_profiles():
            raise ValueError(f"row {row_no}, column 'profile': no profile '{record['profile']}' "
                             "(`omnictl channels list` shows them)")
        if record["location"] and not exists("location", record["location"]):
            raise ValueError(f"row {row_no}, column 'location': no location '{record['location']}'")
    if kind == "aliases":
        if not exists("channel", record["channel"]):
            raise ValueError(f"row {row_no}, column 'channel': no channel '{record['channel']}'")
        if not exists("sku", record["sku"]):
            raise ValueError(f"row {row_no}, column 'sku': no master SKU '{record['sku']}'")
        if record["factor"] <= 0:
            raise ValueError(f"row {row_no}, column 'factor': must be more than 0")


def _upsert(db: Database, table: str, key: str, columns: dict, result: MasterImportResult) -> None:
    existing = db.one(f"SELECT * FROM {table} WHERE {key} = ?", (columns[key],))
    if existing is None:
        names = ", ".join(columns)
        db.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", tuple(columns.values()))
        result.created += 1
    elif any(existing[k] != v for k, v in columns.items()):
        sets = ", ".join(f"{k} = ?" for k in columns if k != key)
        db.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?",
                   (*[v for k, v in columns.items() if k != key], columns[key]))
        result.updated += 1


def _write_skus(db, records, result):
    for r in records:
        _upsert(db, "sku", "code", {
            "code": r["sku"], "name": r["name"], "unit": r["unit"], "cost_minor": r["cost"],
            "price_minor": r["price"], "kind": r["kind"], "barcode": r["barcode"],
            "safety_stock": r["safety_stock"], "lead_time_days": r["lead_time_days"],
            "make_to_stock": r["make_to_stock"], "min_order_qty": r["min_order_qty"]}, result)
    _remap_all(db, result)


def _write_locations(db, records, result):
    for r in records:
        _upsert(db, "location", "code", {"code": r["location"], "name": r["name"], "kind": r["kind"],
                                         "timezone": r["timezone"]}, result)


def _write_channels(db, records, result):
    for r in records:
        columns = {"code": r["channel"], **{k: r[k] for k in (
            "name", "profile", "timezone", "location", "lead_time_days", "allocation_share", "buffer_qty",
            "reserve_unpaid", "active", "daily_files")}}
        existing = db.one("SELECT created_by FROM channel WHERE code = ?", (r["channel"],))
        if existing is not None and existing["created_by"] == "import":
            columns["created_by"] = "master"
        _upsert(db, "channel", "code", columns, result)


def _write_aliases(db, records, result):
    keys = {(r["channel"], r["external_sku"]) for r in records}
    for channel, external in keys:
        db.execute("DELETE FROM sku_alias WHERE channel = ? AND external_sku = ?", (channel, external))
    for r in records:
        db.execute("INSERT INTO sku_alias (channel, external_sku, sku, factor) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (channel, external_sku, sku) DO UPDATE SET factor = excluded.factor + factor",
                   (r["channel"], r["external_sku"], r["sku"], r["factor"]))
    result.created += len(records)
    _remap_all(db, result)


def _write_customers(db, records, result):
    for r in records:
        existing = db.one("SELECT * FROM customer WHERE code = ?", (r["customer"],)) or _by_contact(db, r)
        if existing is None:
            party = db.execute("INSERT INTO party (name, email, phone, address, email_key, phone_key) "
                               "VALUES (?, ?, ?, ?, ?, ?)",
                               (r["name"], r["email"], r["phone"], r["address"], V.email_key(r["email"]),
                                V.phone_key(r["phone"]))).lastrowid
            db.execute("INSERT INTO customer (code, tier, party_id, source) VALUES (?, ?, ?, 'master')",
                       (r["customer"], r["tier"], party))
            result.created += 1
            continue
        db.execute("UPDATE customer SET code = ?, tier = ?, source = 'master' WHERE id = ?",
                   (r["customer"], r["tier"], existing["id"]))
        for field in ("name", "email", "phone", "address"):
            if r[field]:
                db.execute(f"UPDATE party SET {field} = ? WHERE id = ?", (r[field], existing["party_id"]))
        db.execute("UPDATE party SET email_key = coalesce(?, email_key), phone_key = coalesce(?, phone_key) "
                   "WHERE id = ?", (V.email_key(r["email"]), V.phone_key(r["phone"]), existing["party_id"]))
        result.updated += 1


def _by_contact(db: Database, record: dict):
    for kind, key in (("email", V.email_key(record["email"])), ("phone", V.phone_key(record["phone"]))):
        if key:
            row = db.one(f"SELECT c.* FROM customer c JOIN party p ON p.id = c.party_id WHERE p.{kind}_key = ? "
                         "ORDER BY c.source = 'master' DESC LIMIT 1", (key,))
            if row is not None:
                return row
    return None


def _remap_all(db: Database, result: MasterImportResult) -> None:
    from omnictl.skus import remap_lines

    actor = db.scalar("SELECT actor FROM import_batch WHERE id = ?", (result.batch,)) or "omnictl"
    for row in db.query("SELECT code FROM channel"):
        result.lines_remapped += remap_lines(db, row["code"], actor=actor)


_WRITERS = {"skus": _write_skus, "locations": _write_locations, "channels": _write_channels,
            "aliases": _write_aliases, "customers": _write_customers}

# Kinds that check rows against each other before writing (may reject more rows, or raise
# InputFileError: nothing written): fn(db, table, records, failed rows, result) → records kept.
_PREPARE: dict[str, Callable] = {}

# Production master data (calendars, work centers, routings, BOMs) registers its kinds here.
from omnictl import master_production  # noqa: E402,F401
