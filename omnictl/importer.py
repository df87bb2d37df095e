"""Import channel exports: one batch and one transaction per file.

Resolve the profile and channel, refuse a file already imported, map rows to orders, and
write orders, lines, history, rejects and provenance. Re-importing a newer export updates
orders and records each change as an order event, which is also what `undo` replays.
"""

from __future__ import annotations

import getpass
import os
import queue
import re
import threading
from contextlib import contextmanager
from operator import attrgetter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from omnictl import clock
from omnictl.channels.mapping import (LineRecord, Mapper, OrderRecord, Reject, overall_status,
                                      summarise_fulfilment)
from omnictl.channels.profile import Profile, all_profiles, detect, get_profile, require_match
from omnictl.channels.joined import pair_files
from omnictl.channels.pipeline import mapped
from omnictl.db import Database
from omnictl.errors import InputFileError, NotFound, StrictRejects, UsageError
from omnictl.inventory import sync_order_stock
from omnictl.models import ImportResult
from omnictl.parties import PartyBook
from omnictl.skumap import SkuResolver
from omnictl.tabular import Table, open_table

ORDER_COLUMNS = (
    "ordered_at", "ordered_on", "ordered_raw", "currency", "subtotal_minor", "shipping_minor",
    "tax_minor", "discount_minor", "total_minor", "refunded_minor", "payment", "fulfilment",
    "status", "raw_status", "promised_ship_by", "promised_source", "deliver_by",
    "delivered_at",
)
LINE_COLUMNS = (
    "external_sku", "sku", "mapping", "product_name", "quantity", "unit_price_minor",
    "line_total_minor", "payment", "fulfilment", "status", "raw_status", "shipped_at",
)
FLUSH_EVERY = 2000
ROUTING_PROFILE = "omnictl"                   # omnictl's own layout, detected before any channel's
CHANNEL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_order_columns = attrgetter(*ORDER_COLUMNS)


def actor_name(explicit: str | None = None) -> str:
    if explicit:
        return explicit
    try:
        return os.environ.get("USER") or getpass.getuser()
    except Exception:  # getpass raises various errors without a login name
        return "unknown"


class _DryRun(Exception):
    """Raised inside the write transaction to roll a dry run back."""


@dataclass
class _Plan:
    table: Table
    profile: Profile
    channel: dict
    create_channel: bool


def import_files(db: Database, paths: Iterable[str | Path], *, channel: str | None = None,
                 profile: str | None = None, dry_run: bool = False, strict: bool = False,
                 actor: str | None = None, progress: Callable[[int], None] | None = None
                 ) -> list[ImportResult]:
    """Import each file as its own batch. Every file is checked before any is written."""
    paths = list(paths)
    try:
        tables = [open_table(p) for p in paths]
        plans = [plan for unit in pair_files(tables) for plan in _plans(db, unit, channel, profile)]
    except InputFileError as err:
        if len(paths) > 1:
            raise InputFileError(f"{err}; none of the {len(paths)} files was imported") from None
        raise
    return [_import_one(db, plan, dry_run, strict, actor_name(actor), progress) for plan in plans]


def _plans(db: Database, table: Table, channel_code: str | None, profile_name: str | None) -> list[_Plan]:
    """One plan per channel the file feeds: one, except for a layout with a channel column."""
    if not profile_name and ROUTING_PROFILE in all_profiles() and \
            get_profile(ROUTING_PROFILE).matches(table.header):
        profile_name = ROUTING_PROFILE                  # any channel's orders in omnictl's layout
    prof = get_profile(profile_name) if profile_name else None
    if prof is not None and "channel" in prof.columns:
        return _routed_plans(db, table, prof, channel_code)
    return [_plan(db, table, channel_code, profile_name)]


def _routed_plans(db: Database, table: Table, prof: Profile, channel_code: str | None) -> list[_Plan]:
    """Rows go to the channel they name (created when new); an empty one to --channel or the default."""
    if prof.refuse or prof.part_of:
        raise InputFileError(f"{table.path}: profile {prof.name} cannot route rows by channel")
    require_match(prof, table, f"--profile {prof.name}")
    if channel_code and db.one("SELECT 1 FROM channel WHERE code = ?", (channel_code,)) is None:
        raise NotFound(f"no channel '{channel_code}'; add it with `omnictl master import channels FILE`")
    default = channel_code or prof.name
    column = next((table.header.index(a) for a in prof.columns["channel"] if a in table.header), None)
    codes = _channel_codes(table, column, default)
    plans = []
    for code in codes:
        part = table if len(codes) == 1 else ChannelRows(table, column, code, default)
        row = db.one("SELECT * FROM channel WHERE code = ? COLLATE NOCASE ORDER BY code = ? DESC", (code, code))
        if row is not None:
            plans.append(_Plan(part, prof, dict(row), False))
        else:
            plans.append(_Plan(part, prof, {"code": code, "name": code, "profile": prof.name,
                                            "timezone": prof.timezone, "location": None, "lead_time_days": 2},
                               True))
    return plans


def _channel_codes(table: Table, column: int | None, default: str) -> list[str]:
    if column is None:
        return [default]
    codes: dict[str, str] = {}                  # by lower case: `ERP` and `erp` are one channel
    for row_no, values in table.data_rows():
        code = values[column].strip() if column < len(values) else ""
        if code and not CHANNEL_CODE.fullmatch(code):
            raise InputFileError(f"{table.path}: row {row_no}, column 'channel': '{code[:40]}' is not a channel "
                                 "code (letters, digits, '.', '_' or '-', at most 40)")
        codes.setdefault((code or default).lower(), code or default)
    return list(codes.values()) or [default]


class ChannelRows:
    """The rows of a table that belong to one channel; everything else is the table's own."""

    def __init__(self, table: Table, column: int, code: str, default: str):
        self.table, self.column, self.code, self.default = table, column, code.lower(), default

    def __getattr__(self, name):
        return getattr(self.table, name)

    def data_rows(self):
        column, code, default = self.column, self.code, self.default
        for row_no, values in self.table.data_rows():
            value = values[column].strip() if column < len(values) else ""
            if (value or default).lower() == code:
                yield row_no, values


def _plan(db: Database, table: Table, channel_code: str | None, profile_name: str | None) -> _Plan:
    channel_row = None
    if channel_code:
        channel_row = db.one("SELECT * FROM channel WHERE code = ?", (channel_code,))
        if channel_row is None:
            raise NotFound(f"no channel '{channel_code}'; add it with `omnictl master import channels FILE` "
                           "or leave --channel out to detect it from the file")
    if profile_name:
        prof, how = get_profile(profile_name), f"--profile {profile_name}"
    elif channel_row is not None:
        prof = get_profile(channel_row["profile"])
        how = f"channel {channel_code} uses profile {prof.name}"
    elif getattr(table, "profile_name", None):
        prof, how = get_profile(table.profile_name), "detected with its partner file"
    else:
        prof, how = _detected_profile(table), "detected from its header"
    if prof.refuse:
        raise InputFileError(f"{table.path}: {prof.refuse}")
    if prof.part_of and not getattr(table, "joined", False):
        partner = get_profile(prof.part_of)
        raise InputFileError(f"{table.path}: is a {prof.title}; import it together with its {partner.title} "
                             f"in one command (omnictl import ORDERS_FILE DETAIL_FILE)")
    require_match(prof, table, how)
    if channel_row is not None:
        if profile_name and channel_row["profile"] != prof.name:
            raise UsageError(f"channel {channel_code} uses profile {channel_row['profile']}, not {prof.name}")
        return _Plan(table, prof, dict(channel_row), False)
    users = db.query("SELECT * FROM channel WHERE profile = ? AND active = 1 ORDER BY code", (prof.name,))
    if len(users) == 1:
        return _Plan(table, prof, dict(users[0]), False)
    if len(users) > 1:
        names = ", ".join(u["code"] for u in users)
        raise UsageError(f"{table.path}: channels {names} all use profile {prof.name}; "
                         "say which with --channel")
    existing = db.one("SELECT profile FROM channel WHERE code = ?", (prof.name,))
    if existing is not None:
        raise UsageError(f"{table.path}: channel {prof.name} exists with profile {existing['profile']}; "
                         "say which channel with --channel")
    new_channel = {"code": prof.name, "name": prof.title, "profile": prof.name,
                   "timezone": prof.timezone, "location": None, "lead_time_days": 2}
    return _Plan(table, prof, new_channel, True)


def _detected_profile(table: Table) -> Profile:
    found = detect(table)
    if found.profile is not None:
        return found.profile
    closest = found.candidates[0][0] if found.candidates else None
    hint = ""
    if closest:
        prof = get_profile(closest)
        missing = prof.missing_detect(table.header)
        hint = f"; closest is {closest}, which needs column(s) {', '.join(repr(m) for m in missing)}"
    raise InputFileError(f"{table.path}: no profile matches its header{hint} "
                         "(see `omnictl channels detect FILE`)")


def _import_one(db: Database, plan: _Plan, dry_run: bool, strict: bool, actor: str,
                progress) -> ImportResult:
    result = ImportResult(file=str(plan.table.path), batch=None, channel=plan.channel["code"],
                          profile=plan.profile.name, dry_run=dry_run, channel_created=plan.create_channel)
    previous = db.one("SELECT id, rejected FROM import_batch WHERE sha256 = ? AND channel = ? AND kind = 'orders' "
                      "AND undone_at IS NULL ORDER BY id DESC LIMIT 1", (plan.table.sha256, plan.channel["code"]))
    if previous is not None:
        result.already_imported_as = previous["id"]
        result.notes.append(f"{plan.table.name} was already imported as batch {previous['id']}; nothing changed")
        if strict and previous["rejected"]:
            raise StrictRejects(f"{plan.table.path}: was already imported as batch {previous['id']} with "
                                f"{previous['rejected']} rejected row(s) (`omnictl imports show {previous['id']}`)")
        return result
    try:
        with db.write():
            if plan.create_channel and _create_channel(db, plan.channel):
                result.notes.append(f"{'would create' if dry_run else 'created'} channel {plan.channel['code']} "
                                    f"(profile {plan.profile.name}); edit it with `omnictl master import channels FILE`")
            writer = OrderWriter(db, plan, actor)
            writer.run(result, progress)
            _post_stock(db, writer.batch, plan.channel["code"], actor, result)
            if result.rows_read == 0:
                result.notes.append(f"{plan.table.name} has a header but no data rows; "
                                    "the batch is recorded with nothing imported")
            if strict and result.rejected:
                raise StrictRejects(f"{plan.table.path}: {result.rejected} row(s) rejected under --strict "
                                    f"(first: {writer.first_reject}); nothing was written")
            if dry_run:
                raise _DryRun
    except _DryRun:
        result.batch = None
    return result


def _post_stock(db: Database, batch: int, channel: str, actor: str, result: ImportResult) -> None:
    """Sales and returns for the lines this batch wrote (see omnictl/inventory.py)."""
    if db.scalar("SELECT location FROM channel WHERE code = ?", (channel,)) is None:
        if db.one("SELECT 1 FROM order_line WHERE last_batch_id = ? AND mapping != 'unmapped'", (batch,)):
            result.notes.append(f"channel {channel} has no fulfilment location, so its orders move no stock; "
                                "set one with `omnictl master import channels FILE` (column location)")
        return
    lines = [row[0] for row in db.execute("SELECT id FROM order_line WHERE last_batch_id = ?", (batch,))]
    result.stock_moves = sync_order_stock(db, lines, actor, batch).moves


def _create_channel(db: Database, channel: dict) -> bool:
    """Create the channel a detected profile implies; False if an earlier file just did."""
    return db.execute("INSERT OR IGNORE INTO channel (code, name, profile, timezone, lead_time_days, created_by) "
                      "VALUES (?, ?, ?, ?, ?, 'import')",
                      (channel["code"], channel["name"], channel["profile"], channel["timezone"],
                       channel["lead_time_days"])).rowcount == 1


@dataclass(slots=True)
class _Counts:
    rows_read: int = 0
    rejected: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    lines: int = 0
    unmapped: int = 0


class OrderWriter:
    """Writes one file's orders inside the caller's transaction, in chunks of executemany."""

    def __init__(self, db: Database, plan: _Plan, actor: str):
        self.db, self.plan, self.actor = db, plan, actor
        self.channel = plan.channel["code"]
        self.now = clock.utc_now_iso()
        self.skus = SkuResolver(db, self.channel)
        self.parties = PartyBook(db)
        self.next_order_id = (db.scalar("SELECT max(id) FROM sales_order") or 0) + 1
        self.next_line_id = (db.scalar("SELECT max(id) FROM order_line") or 0) + 1
        self.new_orders: list[tuple] = []
        self.new_lines: list[tuple] = []
        self.new_events: list[tuple] = []
        self.rejects: list[tuple] = []
        self.late_rejects: list[tuple] = []
        self.pending: set[str] = set()
        self.chunk: list[OrderRecord] = []
        self.count = _Counts()
        self.first_reject: str | None = None
        self.progress = None

    def run(self, result: ImportResult, progress) -> None:
        """Map and write the whole file, then record the batch's counts."""
        table, plan = self.plan.table, self.plan
        self.progress = progress
        self.batch = result.batch = self.db.execute(
            "INSERT INTO import_batch (kind, file_name, sha256, channel, profile, actor, started_at) "
            "VALUES ('orders', ?, ?, ?, ?, ?, ?)",
            (table.name, table.sha256, self.channel, plan.profile.name, self.actor, self.now)).lastrowid
        mapper = Mapper(plan.profile, table, timezone=plan.channel.get("timezone") or plan.profile.timezone,
                        lead_time_days=plan.channel.get("lead_time_days") or 0,
                        default_currency=self.db.setting("company.currency"), company_zone=clock.zone())
        size = _size(table)
        with search_indexes_deferred(self.db, size):
            self.background = BackgroundWriter(self.db.conn)
            try:
                for record in mapped(mapper, size):
                    if isinstance(record, Reject):
                        self._reject(record)
                    else:
                        self.count.rows_read += len(record.row_nos)
                        self._write_order(record)
                self._write_chunk()
                self._flush()
                self.background.wait()
            finally:
                self.background.close()
            self._store_late_rejects()
        c = self.count
        self.db.execute(
            "UPDATE import_batch SET rows_read = ?, imported = ?, rejected = ?, orders_created = ?, "
            "orders_updated = ?, lines_written = ?, unmapped = ?, finished_at = ? WHERE id = ?",
            (c.rows_read, c.rows_read - c.rejected, c.rejected, c.orders_created, c.orders_updated,
             c.lines, c.unmapped, clock.utc_now_iso(), self.batch))
        result.rows_read, result.rejected, result.lines, result.unmapped = c.rows_read, c.rejected, c.lines, c.unmapped
        result.orders_created, result.orders_updated = c.orders_created, c.orders_updated
        result.orders = c.orders_created + c.orders_updated

    def _reject_row(self, row_no: int, reason: str, field: str) -> None:
        """A row rejected after mapping: counted now, its raw text read back in one pass at the end."""
        self.count.rejected += 1
        self.first_reject = self.first_reject or reason
        self.late_rejects.append((row_no, field, reason))

    def _store_late_rejects(self) -> None:
        if not self.late_rejects:
            return
        wanted = {row_no for row_no, _, _ in self.late_rejects}
        raw = {row_no: self.plan.table.raw_text(values) for row_no, values in self.plan.table.data_rows()
               if row_no in wanted}
        self.db.conn.executemany(_insert_sql("import_reject", ("batch_id", "row_no", "field", "reason", "raw")),
                                 [(self.batch, row_no, field, reason, raw.get(row_no, ""))
                                  for row_no, field, reason in self.late_rejects])

    def _reject(self, reject: Reject) -> None:
        self.count.rejected += 1
        self.count.rows_read += 1
        self.first_reject = self.first_reject or reject.reason
        self.rejects.append((self.batch, reject.row_no, reject.field, reject.reason, reject.raw))

    # -- orders -----------------------------------------------------------------------------

    def _write_order(self, order: OrderRecord) -> None:
        self.chunk.append(order)
        if len(self.chunk) >= FLUSH_EVERY:
            self._write_chunk()

    def _write_chunk(self) -> None:
        """Look up a chunk's orders and buyers in a few statements, then write it."""
        chunk, self.chunk = self.chunk, []
        if not chunk:
            return
        self.background.wait()
        self.pending = set()               # orders written in this chunk; earlier ones are in `existing`
        existing = self._existing({order.external_id for order in chunk})
        buyers = self.parties.resolve([(o.customer_name, o.customer_email, o.customer_phone, o.address)
                                       for o in chunk if o.external_id not in existing])
        buyer = iter(buyers)
        for order in chunk:
            key = order.external_id
            customer_id, party_id = (None, None) if key in existing else next(buyer)
            if key in self.pending:                        # this file wrote the order already: merge
                self._flush()
                self.background.wait()
                self._update_order(self._existing({key})[key], order, again=True)
            elif key in existing:
                self._update_order(existing[key], order, again=existing[key]["last_batch_id"] == self.batch)
            else:
                self._insert_order(order, customer_id, party_id)
            self.pending.add(key)
        self._flush()

    def _existing(self, external_ids: set[str]) -> dict:
        found, ids = {}, list(external_ids)
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            for row in self.db.query(f"SELECT * FROM sales_order WHERE channel = ? AND external_id IN "
                                     f"({', '.join('?' * len(part))})", [self.channel, *part]):
                found[row["external_id"]] = row
        return found

    def _line_values(self, line: LineRecord) -> tuple:
        sku, mapping = self.skus.resolve(line.external_sku)
        return (line.external_sku, sku, mapping, line.product_name, line.quantity, line.unit_price_minor,
                line.line_total_minor, line.payment, line.fulfilment, line.status, line.raw_status,
                line.shipped_at)

    def _insert_order(self, order: OrderRecord, customer_id: int | None, party_id: int | None) -> None:
        order_id = self.next_order_id
        self.next_order_id += 1
        self.new_orders.append((order_id, self.channel, order.external_id, *_order_columns(order),
                                customer_id, party_id, self.batch, self.batch, order.first_row))
        self.new_events.append((order_id, None, self.batch, self.now, "created", None, order.status))
        for line in order.lines:
            self._insert_line(order_id, line)
        self.count.orders_created += 1

    def _insert_line(self, order_id: int, line: LineRecord) -> int:
        line_id = self.next_line_id
        self.next_line_id += 1
        values = self._line_values(line)
        self.new_lines.append((line_id, order_id, line.line_key, *values, self.batch, self.batch, line.row_no))
        self.count.lines += 1
        self.count.unmapped += values[2] == "unmapped"
        return line_id

    def _update_order(self, existing, order: OrderRecord, again: bool) -> None:
        """A known order: record and apply each changed field. An empty value never erases
        a known one; a second group of rows for an order this file already wrote (rows not
        adjacent) only adds what is missing, and the order's fulfilment covers all its lines."""
        order_id = existing["id"]
        conflict = _identity_conflict(existing, order)
        if conflict:
            for row_no in order.row_nos:
                self._reject_row(row_no, f"order {order.external_id} is already in channel {self.channel} "
                                 f"with {conflict}; an order's {conflict.split()[0]} never changes, so this looks "
                                 "like another shop's order with the same number: import this file into its own "
                                 "channel with --channel", "order_id")
            return
        lines_changed = self._update_lines(order_id, order)
        new = {name: getattr(order, name) for name in ORDER_COLUMNS}
        if again:
            new = self._merged(existing, order_id, new)
        changes = {k: v for k, v in new.items() if v is not None and _differs(existing[k], v)}
        if changes:
            assignments = ", ".join(f"{k} = ?" for k in changes)
            self.db.execute(f"UPDATE sales_order SET {assignments}, last_batch_id = ?, source_row = ? WHERE id = ?",
                            (*changes.values(), self.batch, existing["source_row"] if again else order.first_row,
                             order_id))
            for k, v in changes.items():
                self.new_events.append((order_id, None, self.batch, self.now, k, _text(existing[k]), _text(v)))
        elif lines_changed:
            self.db.execute("UPDATE sales_order SET last_batch_id = ? WHERE id = ?", (self.batch, order_id))
        if (changes or lines_changed) and not again:
            self.count.orders_updated += 1

    def _merged(self, existing, order_id: int, new: dict) -> dict:
        merged = {k: existing[k] if existing[k] is not None else v for k, v in new.items()}
        self._flush()
        self.background.wait()                           # the lines just added are in the table
        states = [row["fulfilment"] for row in
                  self.db.query("SELECT fulfilment FROM order_line WHERE order_id = ?", (order_id,))]
        merged["fulfilment"] = summarise_fulfilment(states) if states else merged["fulfilment"]
        merged["status"] = overall_status(merged["payment"], merged["fulfilment"])
        return merged

    def _update_lines(self, order_id: int, order: OrderRecord) -> bool:
        current = {row["line_key"]: row for row in
                   self.db.query("SELECT * FROM order_line WHERE order_id = ?", (order_id,))}
        changed = False
        for line in order.lines:
            row = current.get(line.line_key)
            if row is None:
                line_id = self._insert_line(order_id, line)
                self.new_events.append((order_id, line_id, self.batch, self.now, "line created", None, line.line_key))
                changed = True
            elif row["last_batch_id"] == self.batch:
                self._reject_row(line.row_no, f"row {line.row_no} repeats order {order.external_id} line "
                                 f"{line.line_key} already read from row {row['source_row']}", "order_id")
            else:
                changed |= self._update_line(order_id, row, line)
        return changed

    def _update_line(self, order_id: int, row, line: LineRecord) -> bool:
        new = dict(zip(LINE_COLUMNS, self._line_values(line)))
        diffs = {k: v for k, v in new.items() if _differs(row[k], v)}
        if not diffs:
            return False
        assignments = ", ".join(f"{k} = ?" for k in diffs)
        self.db.execute(f"UPDATE order_line SET {assignments}, last_batch_id = ?, source_row = ? WHERE id = ?",
                        (*diffs.values(), self.batch, line.row_no, row["id"]))
        for k, v in diffs.items():
            self.new_events.append((order_id, row["id"], self.batch, self.now, k, _text(row[k]), _text(v)))
        self.count.lines += 1
        self.count.unmapped += new["mapping"] == "unmapped"
        return True

    def _flush(self) -> None:
        """Hand the queued rows to the background writer (parties first: orders refer to them)."""
        statements = self.parties.take()
        for table, columns, rows in (
                ("sales_order", ("id", "channel", "external_id", *ORDER_COLUMNS, "customer_id", "party_id",
                                 "first_batch_id", "last_batch_id", "source_row"), self.new_orders),
                ("order_line", ("id", "order_id", "line_key", *LINE_COLUMNS, "first_batch_id",
                                "last_batch_id", "source_row"), self.new_lines),
                ("order_event", ("order_id", "line_id", "batch_id", "at", "field", "old", "new"), self.new_events),
                ("import_reject", ("batch_id", "row_no", "field", "reason", "raw"), self.rejects)):
            if rows:
                statements.append((_insert_sql(table, columns), rows))
        if statements:
            self.background.submit(statements)
        if self.progress and self.new_orders:
            self.progress(self.count.rows_read)
        self.new_orders, self.new_lines, self.new_events, self.rejects = [], [], [], []


class BackgroundWriter:
    """Runs batches of executemany on a worker thread, in order, on the same connection.

    sqlite3 releases the GIL while SQLite steps through rows and indexes, so writing chunk N
    overlaps with mapping chunk N+1. Call `wait()` before any statement that must see them.
    """

    def __init__(self, conn):
        self.conn = conn
        self.jobs: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._work, name="omnictl-writer", daemon=True)
        self.thread.start()

    def submit(self, statements: list[tuple[str, list]]) -> None:
        self._raise()
        self.jobs.put(statements)

    def wait(self) -> None:
        self.jobs.join()
        self._raise()

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _work(self) -> None:
        while (job := self.jobs.get()) is not None:
            try:
                if self.error is None:
                    for sql, rows in job:
                        self.conn.executemany(sql, rows)
            except BaseException as err:  # handed to the main thread at its next wait()
                self.error = err
            finally:
                self.jobs.task_done()
        self.jobs.task_done()


# Indexes for searching later, not used while importing. A bulk load into tables smaller than
# the file builds them once afterwards (a sort) instead of row by row, and indexes the new
# buyers' names in one statement instead of a trigger per row; inside the import's
# transaction, so a failed import rolls the drop back too.
SEARCH_INDEXES = ("sales_order_ordered_on", "sales_order_customer", "sales_order_party", "sales_order_external",
                  "order_line_sku", "order_line_external_sku", "order_line_unmapped", "order_line_open",
                  "order_event_order", "order_event_batch")
NAME_TRIGGER = "party_search_insert"
BULK_MIN_BYTES = 32 * 1024 * 1024
BYTES_PER_LINE_GUESS = 300


@contextmanager
def search_indexes_deferred(db: Database, file_bytes: int):
    existing_lines = db.scalar("SELECT max(id) FROM order_line") or 0
    if file_bytes < BULK_MIN_BYTES or existing_lines * BYTES_PER_LINE_GUESS > file_bytes:
        yield
        return
    names = (*SEARCH_INDEXES, NAME_TRIGGER)
    definitions = [(row["type"], row["name"], row["sql"]) for row in db.query(
        f"SELECT type, name, sql FROM sqlite_master WHERE name IN ({', '.join('?' * len(names))})", names)]
    last_party = db.scalar("SELECT max(id) FROM party") or 0
    for kind, name, _sql in definitions:
        db.execute(f"DROP {kind.upper()} {name}")
    yield
    for _kind, _name, sql in definitions:
        db.execute(sql)
    db.execute("INSERT INTO party_name_search (rowid, name) SELECT id, name FROM party "
               "WHERE id > ? AND name IS NOT NULL", (last_party,))


def _size(table) -> int:
    try:
        return Path(table.path).stat().st_size
    except OSError:
        return 0


def _identity_conflict(existing, order: OrderRecord) -> str | None:
    """What a newer export of the same order could never change: its time and its currency."""
    if existing["ordered_at"] and order.ordered_at and existing["ordered_at"] != order.ordered_at:
        return f"time {existing['ordered_at']} where this file says {order.ordered_at}"
    if not existing["ordered_at"] and existing["ordered_on"] and order.ordered_on \
            and existing["ordered_on"] != order.ordered_on:
        return f"date {existing['ordered_on']} where this file says {order.ordered_on}"
    if existing["currency"] and order.currency and existing["currency"] != order.currency:
        return f"currency {existing['currency']} where this file says {order.currency}"
    return None


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _differs(old, new) -> bool:
    if old is None or new is None:
        return old is not new
    if isinstance(new, float) or isinstance(old, float):
        return abs(float(old) - float(new)) > 1e-9
    return old != new


def _text(value) -> str | None:
    return None if value is None else str(value)
