"""Database tools: what is in the file, is it sound, a consistent copy, and compaction.

`database_info` counts every table and shows the last batches; `check_database` runs a
registry of named checks (SQLite's own, then omnictl's invariants) and names the rows that
break one; `backup_database` copies the file with SQLite's online backup while others keep
writing; `vacuum_database` compacts it.
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from omnictl.batches import list_batches
from omnictl.channels.mapping import overall_status
from omnictl.db import Database, _translate, latest_version, schema_version
from omnictl.errors import DatabaseError, UsageError
from omnictl.models import BackupResult, CheckItem, CheckReport, DbInfo, VacuumResult

MAX_EXAMPLES = 10          # rows named per failing check; the details give the total
LAST_BATCHES = 5
BACKUP_STEP_PAGES = 1024   # pages copied per backup step (4 MiB at the default page size)
SEARCH_INDEX = "party_name_search"


# -- info -----------------------------------------------------------------------------------

def database_info(db: Database) -> DbInfo:
    """Size, pages, versions, rows per table, the last batches and the company settings."""
    main_bytes, wal_bytes = _file_size(db.path), _file_size(_wal_path(db.path))
    return DbInfo(
        path=str(db.path), size_bytes=main_bytes + wal_bytes, wal_bytes=wal_bytes,
        page_size=db.scalar("PRAGMA page_size"), page_count=db.scalar("PRAGMA page_count"),
        free_pages=db.scalar("PRAGMA freelist_count"), schema_version=schema_version(db),
        schema_latest=latest_version(), sqlite_version=sqlite3.sqlite_version,
        journal_mode=db.scalar("PRAGMA journal_mode"),
        tables={name: db.scalar(f'SELECT count(*) FROM "{name}"') for name in user_tables(db)},
        last_batches=list_batches(db, limit=LAST_BATCHES),
        timezone=db.setting("company.timezone", "UTC"), currency=db.setting("company.currency"),
    )


def user_tables(db: Database) -> list[str]:
    """Ordinary tables, without SQLite's own, virtual tables and their shadow tables."""
    return sorted(row["name"] for row in db.query("PRAGMA main.table_list")
                  if row["type"] == "table" and not row["name"].startswith("sqlite_"))


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


# -- check ----------------------------------------------------------------------------------

@dataclass
class Finding:
    """What one check found: a sentence, and the rows that break it (empty when ok)."""

    details: str
    problems: list[str] = field(default_factory=list)
    total: int | None = None        # problems in all, when more than the examples kept
    skipped: bool = False


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[Database, bool], Finding]     # (db, quick) -> Finding


CHECKS: list[Check] = []


def register(name: str, *, before: str | None = None):
    """Add a check to the registry (at the end, or before the named one). Later issues use
    this from their own modules, e.g. the stock ledger's "stock ledger balances re-derived"."""

    def add(run: Callable[[Database, bool], Finding]):
        check = Check(name, run)
        names = [c.name for c in CHECKS]
        if name in names:
            CHECKS[names.index(name)] = check
        elif before in names:
            CHECKS.insert(names.index(before), check)
        else:
            CHECKS.append(check)
        return run

    return add


def check_database(db: Database, quick: bool = False) -> CheckReport:
    """Run every registered check; the report is ok when none fails."""
    items = []
    for check in CHECKS:
        try:
            found = check.run(db, quick)
        except sqlite3.OperationalError as err:
            if "locked" in str(err) or "busy" in str(err):
                raise _translate(err, db.path) from None
            found = Finding(f"could not run: {err}", [f"SQLite error: {err}"])
        except sqlite3.DatabaseError as err:      # a damaged file: the check fails, the others run
            found = Finding(f"could not run: {err}", [f"SQLite error: {err}"])
        status = "skipped" if found.skipped else "fail" if found.problems else "ok"
        items.append(CheckItem(name=check.name, status=status, details=found.details,
                               problems=found.problems[:MAX_EXAMPLES],
                               problem_count=found.total if found.total is not None else len(found.problems)))
    return CheckReport(ok=all(item.status != "fail" for item in items), checks=items)


class _Examples:
    """Counts problems and keeps the first few as sentences."""

    def __init__(self):
        self.items: list[str] = []
        self.count = 0

    def add(self, text: str | Callable[[], str]) -> None:
        self.count += 1
        if len(self.items) < MAX_EXAMPLES:
            self.items.append(text() if callable(text) else text)


def _order_name(row) -> str:
    return f"order {row['channel']} {row['external_id']} (id {row['id']})"


@register("sqlite integrity")
def _sqlite_integrity(db: Database, quick: bool) -> Finding:
    pragma = "quick_check" if quick else "integrity_check"
    rows = [row[0] for row in db.query(f"PRAGMA {pragma}({MAX_EXAMPLES})")]
    if rows == ["ok"]:
        return Finding(f"PRAGMA {pragma}: ok")
    return Finding(f"PRAGMA {pragma} reports damage (first {len(rows)} messages shown); restore a backup "
                   "or copy the data out with the sqlite3 shell's .recover", rows)


@register("foreign keys")
def _foreign_keys(db: Database, quick: bool) -> Finding:
    groups: dict[tuple[str, str], int] = {}
    examples = _Examples()
    keys: dict[str, list] = {}
    for table, rowid, parent, fkid in db.execute("PRAGMA foreign_key_check"):
        groups[(table, parent)] = groups.get((table, parent), 0) + 1
        if table not in keys:
            keys[table] = db.query(f'PRAGMA foreign_key_list("{table}")')
        examples.add(lambda t=table, r=rowid, p=parent, f=fkid: _dangling(db, t, r, p, f, keys[t]))
    if not groups:
        return Finding("every reference points to an existing row")
    summary = "; ".join(f"{table} → {parent}: {count} row(s)" for (table, parent), count in sorted(groups.items()))
    return Finding(f"references to missing rows: {summary}", examples.items, examples.count)


def _dangling(db: Database, table: str, rowid, parent: str, fkid: int, fks) -> str:
    pairs = [(fk["from"], fk["to"]) for fk in fks if fk["id"] == fkid]
    where = f"{table} row {rowid}" if rowid is not None else f"a row of {table}"
    if rowid is None or not pairs:
        return f"{where} refers to a missing {parent} row"
    values = db.one(f'SELECT {", ".join(chr(34) + c + chr(34) for c, _ in pairs)} FROM "{table}" WHERE rowid = ?',
                    (rowid,))
    refs = ", ".join(f"{col} = {values[ix]!r}" for ix, (col, _) in enumerate(pairs))
    return f"{where}: {refs}, but {parent} has no such {', '.join(to or 'row' for _, to in pairs)}"


@register("schema version")
def _schema_version(db: Database, quick: bool) -> Finding:
    have, newest = schema_version(db), latest_version()
    if have == newest:
        return Finding(f"schema version {have}, the newest this omnictl knows")
    return Finding(f"schema version {have}, but this omnictl's newest is {newest}",
                   [f"schema version {have} is not {newest}; open the database with this omnictl to migrate it"])


@register("buyer name search index")
def _search_index(db: Database, quick: bool) -> Finding:
    """The full-text index of party names: its own structure (FTS5 'integrity-check'), then its
    words against the names in `party`, row by row (compared through a scratch index in temp).

    FTS5's integrity-check with rank 1 would compare with the content table too, but it counts
    a party without a name (never indexed, by design of the triggers) as damage, so the
    comparison with the content is done here instead."""
    if db.one("SELECT 1 FROM sqlite_master WHERE name = ?", (SEARCH_INDEX,)) is None:
        return Finding(f"no {SEARCH_INDEX} table in this schema", skipped=True)
    notes, problems = [], []
    try:
        db.execute(f"INSERT INTO {SEARCH_INDEX} ({SEARCH_INDEX}) VALUES ('integrity-check')")
        notes.append("index structure ok")
    except sqlite3.OperationalError as err:
        if "readonly" not in str(err) and "read-only" not in str(err):
            raise
        notes.append("index structure not verified (the database is read-only)")
    except sqlite3.DatabaseError as err:
        problems.append(f"the index structure is damaged ({err}); rebuild it with the SQL "
                        f"INSERT INTO {SEARCH_INDEX}({SEARCH_INDEX}) VALUES('rebuild')")
    examples = _Examples()
    for party_id, name, kind in _index_differences(db):
        if kind == "extra":
            examples.add(f"party {party_id}: in the index but there is no such party" if name is None else
                         f"party {party_id} ({name!r}): the index holds words its name does not have")
        else:
            examples.add(f"party {party_id} ({name!r}): its name is missing from the index")
    if examples.count:
        problems += examples.items
        notes.append(f"{examples.count} party name(s) differ from the index; rebuild it with the SQL "
                     f"INSERT INTO {SEARCH_INDEX}({SEARCH_INDEX}) VALUES('rebuild')")
    else:
        notes.append("every party name is indexed as it reads")
    total = len(problems) - len(examples.items) + examples.count
    return Finding("; ".join(notes), problems, total)


def _index_differences(db: Database) -> list[tuple[int, str | None, str]]:
    """(party id, name, 'missing'|'extra') for parties whose indexed words differ from their name."""
    sql = db.scalar("SELECT sql FROM sqlite_master WHERE name = ?", (SEARCH_INDEX,))
    tokenize = _fts_option(sql, "tokenize")
    conn = db.conn
    conn.execute("DROP TABLE IF EXISTS temp.dbcheck_names")
    conn.execute("DROP TABLE IF EXISTS temp.dbcheck_names_words")
    conn.execute("DROP TABLE IF EXISTS temp.dbcheck_index_words")
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.dbcheck_names USING fts5(name"
                     + (f", tokenize = {tokenize}" if tokenize else "") + ")")
        conn.execute("INSERT INTO temp.dbcheck_names (rowid, name) SELECT id, name FROM main.party "
                     "WHERE name IS NOT NULL")
        conn.execute("CREATE VIRTUAL TABLE temp.dbcheck_names_words USING fts5vocab(temp, dbcheck_names, instance)")
        conn.execute(f"CREATE VIRTUAL TABLE temp.dbcheck_index_words USING fts5vocab(main, {SEARCH_INDEX}, instance)")
        rows = conn.execute(
            "SELECT doc, 'extra' FROM (SELECT term, doc, offset FROM temp.dbcheck_index_words "
            "EXCEPT SELECT term, doc, offset FROM temp.dbcheck_names_words) "
            "UNION SELECT doc, 'missing' FROM (SELECT term, doc, offset FROM temp.dbcheck_names_words "
            "EXCEPT SELECT term, doc, offset FROM temp.dbcheck_index_words) ORDER BY 1").fetchall()
        seen: dict[int, str] = {}
        for doc, kind in rows:
            seen.setdefault(doc, kind)
        names = {}
        ids = list(seen)
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            for row in db.query(f"SELECT id, name FROM party WHERE id IN ({', '.join('?' * len(part))})", part):
                names[row["id"]] = row["name"]
        return [(doc, names.get(doc), kind) for doc, kind in seen.items()]
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.dbcheck_index_words")
        conn.execute("DROP TABLE IF EXISTS temp.dbcheck_names_words")
        conn.execute("DROP TABLE IF EXISTS temp.dbcheck_names")


def _fts_option(sql: str, option: str) -> str | None:
    """The text of an option in a CREATE VIRTUAL TABLE ... USING fts5(...) statement."""
    match = re.search(rf"\b{option}\s*=\s*('(?:[^']|'')*'|\"[^\"]*\"|\w+)", sql or "")
    return match[1] if match else None


@register("order status")
def _order_status(db: Database, quick: bool) -> Finding:
    """Each order's and line's stored status is the one its payment and fulfilment give."""
    db.conn.create_function("omnictl_overall_status", 2, overall_status, deterministic=True)
    examples = _Examples()
    for row in db.execute("SELECT id, channel, external_id, payment, fulfilment, status, "
                          "omnictl_overall_status(payment, fulfilment) AS derived FROM sales_order "
                          "WHERE status IS NOT omnictl_overall_status(payment, fulfilment) ORDER BY id"):
        examples.add(f"{_order_name(row)}: status '{row['status']}' but payment {row['payment']} and "
                     f"fulfilment {row['fulfilment']} give '{row['derived']}'")
    for row in db.execute("SELECT l.id AS line_id, l.line_key, l.payment, l.fulfilment, l.status, "
                          "omnictl_overall_status(l.payment, l.fulfilment) AS derived, o.id, o.channel, "
                          "o.external_id FROM order_line l JOIN sales_order o ON o.id = l.order_id "
                          "WHERE l.status IS NOT omnictl_overall_status(l.payment, l.fulfilment) ORDER BY l.id"):
        examples.add(f"{_order_name(row)} line {row['line_key']} (id {row['line_id']}): status '{row['status']}' "
                     f"but payment {row['payment']} and fulfilment {row['fulfilment']} give '{row['derived']}'")
    if not examples.count:
        return Finding("every order's and line's status follows from its payment and fulfilment")
    return Finding(f"{examples.count} order(s) or line(s) with a status that disagrees with their payment and "
                   "fulfilment", examples.items, examples.count)


@register("order history")
def _order_history(db: Database, quick: bool) -> Finding:
    """Every order has the 'created' event its import wrote."""
    examples = _Examples()
    for row in db.execute("SELECT id, channel, external_id, first_batch_id FROM sales_order o WHERE NOT EXISTS "
                          "(SELECT 1 FROM order_event e WHERE e.order_id = o.id AND e.field = 'created') ORDER BY id"):
        examples.add(f"{_order_name(row)}: no 'created' event in its history (first batch {row['first_batch_id']})")
    if not examples.count:
        return Finding("every order's history starts with its 'created' event")
    return Finding(f"{examples.count} order(s) without a 'created' event", examples.items, examples.count)


@register("orders, lines and batches")
def _orders_lines_batches(db: Database, quick: bool) -> Finding:
    """Every line belongs to an order; orders and lines name batches that exist and were not undone."""
    examples = _Examples()
    for row in db.execute("SELECT l.id, l.order_id, l.line_key FROM order_line l LEFT JOIN sales_order o "
                          "ON o.id = l.order_id WHERE o.id IS NULL ORDER BY l.id"):
        examples.add(f"line {row['line_key']} (id {row['id']}): its order {row['order_id']} does not exist")
    for table, label in (("sales_order", "order"), ("order_line", "line")):
        for column in ("first_batch_id", "last_batch_id"):
            sql = (f"SELECT t.id, t.{column} AS batch, b.id AS found, b.undone_at FROM {table} t "
                   f"LEFT JOIN import_batch b ON b.id = t.{column} "
                   f"WHERE b.id IS NULL OR b.undone_at IS NOT NULL ORDER BY t.id")
            for row in db.execute(sql):
                what = "does not exist" if row["found"] is None else f"was undone at {row['undone_at']}"
                examples.add(lambda row=row, what=what, table=table, label=label, column=column:
                             f"{_describe(db, table, label, row['id'])}: {column} {row['batch']}, which {what}")
    if not examples.count:
        return Finding("every line belongs to an order; every order and line comes from a live batch")
    return Finding(f"{examples.count} order(s) or line(s) with a missing order or batch", examples.items,
                   examples.count)


def _describe(db: Database, table: str, label: str, row_id: int) -> str:
    if table == "sales_order":
        row = db.one("SELECT id, channel, external_id FROM sales_order WHERE id = ?", (row_id,))
        return _order_name(row)
    row = db.one("SELECT l.line_key, o.id, o.channel, o.external_id FROM order_line l "
                 "LEFT JOIN sales_order o ON o.id = l.order_id WHERE l.id = ?", (row_id,))
    owner = _order_name(row) if row["id"] is not None else "a missing order"
    return f"{owner} line {row['line_key']} (id {row_id})"


@register("import batch counts")
def _batch_counts(db: Database, quick: bool) -> Finding:
    """Each batch's counts against the rows stored for it.

    Rejects are never deleted (not even by undo), so `rejected` always equals the batch's
    import_reject rows, and `imported` is `rows_read - rejected`. For an order batch that is
    not undone, `orders_created` equals the orders it created (only undoing the batch itself
    deletes them), and `lines_written` equals the lines it created plus the older lines it
    changed (each changed line has one or more events of the batch; a line is changed at
    most once per batch). `orders_updated` and `unmapped` have no such invariant (a later
    SKU mapping resolves lines; a merged second group of rows is not counted again)."""
    rejects = dict(db.query("SELECT batch_id, count(*) FROM import_reject GROUP BY batch_id"))
    created = dict(db.query("SELECT first_batch_id, count(*) FROM sales_order GROUP BY first_batch_id"))
    new_lines = dict(db.query("SELECT first_batch_id, count(*) FROM order_line GROUP BY first_batch_id"))
    changed_lines = dict(db.query(
        "SELECT batch_id, count(DISTINCT line_id) FROM order_event WHERE batch_id IS NOT NULL "
        "AND line_id IS NOT NULL AND field != 'line created' GROUP BY batch_id"))
    examples = _Examples()
    batches = 0
    for b in db.execute("SELECT * FROM import_batch WHERE finished_at IS NOT NULL ORDER BY id"):
        batches += 1
        name = f"batch {b['id']} ({b['file_name']})"
        stored = rejects.get(b["id"], 0)
        if b["rejected"] != stored:
            examples.add(f"{name}: counted {b['rejected']} rejected row(s) but {stored} are stored")
        if b["imported"] != b["rows_read"] - b["rejected"]:
            examples.add(f"{name}: imported {b['imported']} is not rows read {b['rows_read']} "
                         f"minus rejected {b['rejected']}")
        if b["kind"] != "orders" or b["undone_at"] is not None:
            continue
        orders = created.get(b["id"], 0)
        if b["orders_created"] != orders:
            examples.add(f"{name}: counted {b['orders_created']} new order(s) but {orders} are stored as created by it")
        lines = new_lines.get(b["id"], 0) + changed_lines.get(b["id"], 0)
        if b["lines_written"] != lines:
            examples.add(f"{name}: counted {b['lines_written']} line(s) written but {lines} are stored "
                         f"({new_lines.get(b['id'], 0)} created, {changed_lines.get(b['id'], 0)} changed)")
    if not examples.count:
        return Finding(f"the counts of {batches} finished batch(es) match the rows stored")
    return Finding(f"{examples.count} count(s) disagree with the rows stored", examples.items, examples.count)


@register("unfinished batches")
def _unfinished_batches(db: Database, quick: bool) -> Finding:
    """An import writes its batch in one transaction; one left without finished_at means a
    crash mid-import (or a write outside omnictl)."""
    examples = _Examples()
    for b in db.execute("SELECT id, kind, file_name, started_at FROM import_batch WHERE finished_at IS NULL "
                        "ORDER BY id"):
        examples.add(f"batch {b['id']} ({b['kind']}, {b['file_name']}), started {b['started_at']}, never finished")
    if not examples.count:
        return Finding("every import batch finished")
    return Finding(f"{examples.count} batch(es) never finished: an import stopped mid-way", examples.items,
                   examples.count)


# Checks that later issues add (each with `register` in its own module or here):
#   issue 4: the stock ledger's balances and late moves, below.

@register("stock balances", before="unfinished batches")
def _stock_balances(db: Database, quick: bool) -> Finding:
    """`stock_balance` (kept by a trigger) against on hand re-derived as the sum of the moves."""
    examples = _Examples()
    for row in db.execute(
            "SELECT sku, location, stored, derived FROM (SELECT sku, location, max(s) AS stored, "
            "max(d) AS derived FROM (SELECT sku, location, on_hand AS s, NULL AS d FROM stock_balance UNION ALL "
            "SELECT sku, location, NULL, total(quantity) FROM stock_move GROUP BY sku, location) "
            "GROUP BY sku, location) WHERE stored IS NULL OR derived IS NULL OR abs(stored - derived) > 1e-6 "
            "ORDER BY sku, location"):
        stored = "no stored balance" if row["stored"] is None else f"stored {row['stored']:g}"
        derived = "no moves" if row["derived"] is None else f"the moves sum to {row['derived']:g}"
        examples.add(f"SKU {row['sku']} at {row['location']}: {stored}, but {derived}")
    if not examples.count:
        return Finding("every stored balance equals the sum of its moves")
    return Finding(f"{examples.count} balance(s) differ from the sum of their moves", examples.items, examples.count)


@register("late moves", before="unfinished batches")
def _late_moves(db: Database, quick: bool) -> Finding:
    """No move recorded after a count was applied is effective before that count's time."""
    from omnictl.reconcile import late_move_sentence, late_moves

    examples = _Examples()
    for late in late_moves(db):
        examples.add(late_move_sentence(late))
    if not examples.count:
        return Finding("no move recorded after an applied count is effective before its count time")
    return Finding(f"{examples.count} move(s) recorded after an applied count fall before its count time; "
                   "`omnictl reconcile count` shows them", examples.items, examples.count)


@register("audit chain", before="unfinished batches")
def _audit_chain(db: Database, quick: bool) -> Finding:
    """The audit log's hash chain (`omnictl audit verify`)."""
    from omnictl.audit import verify

    report = verify(db)
    if report.ok:
        return Finding(f"{report.entries} audit entries chained and intact")
    return Finding(f"the audit log was changed from entry {report.first_broken} on", report.problems)


# -- backup ---------------------------------------------------------------------------------

def backup_database(db: Database, target: str | os.PathLike, *, overwrite: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> BackupResult:
    """A consistent copy of the database at `target`, while others keep writing.

    SQLite's online backup copies the pages of one read snapshot (held for the whole copy,
    so the copy never restarts), a step of pages at a time; in WAL mode writers are never
    blocked. The copy goes to a temporary file beside the target, is checked with
    quick_check, then renamed into place: nothing half-written is ever at the target.
    `progress(pages_copied, pages_total)` is called after each step."""
    target = Path(target)
    _refuse_target(db, target, overwrite)
    started = time.monotonic()
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as err:                     # a file where a folder should be, /proc, a full disk
        raise DatabaseError(f"cannot write backup {target}: {err.strerror or err}") from None
    os.close(fd)
    temp = Path(temp_name)
    try:
        integrity = _copy(db, temp, progress)
        os.chmod(temp, db.path.stat().st_mode & 0o777)      # the copy is as private as the original
        os.replace(temp, target)
    except sqlite3.Error as err:
        _remove(temp)
        if "locked" in str(err) or "busy" in str(err):
            raise _translate(err, db.path) from None
        raise DatabaseError(f"backup to {target} failed ({err}); nothing was written at {target}") from None
    except OSError as err:
        _remove(temp)
        raise DatabaseError(f"cannot write backup {target}: {err.strerror or err}") from None
    except BaseException:
        _remove(temp)
        raise
    return BackupResult(path=str(target), bytes=_file_size(target), seconds=round(time.monotonic() - started, 3),
                        integrity_ok=integrity == ["ok"], integrity=integrity)


def _refuse_target(db: Database, target: Path, overwrite: bool) -> None:
    own = db.path.resolve()
    resolved = target.resolve()
    if resolved == own or (target.exists() and db.path.exists() and os.path.samefile(target, db.path)):
        raise UsageError(f"backup target {target} is the database itself; give another file name")
    if resolved.name in (own.name + "-wal", own.name + "-shm", own.name + "-journal") and resolved.parent == own.parent:
        raise UsageError(f"backup target {target} is one of the database's own journal files; give another file name")
    if not target.parent.exists():
        raise UsageError(f"cannot write backup {target}: folder {target.parent} does not exist")
    if target.is_dir():
        raise UsageError(f"backup target {target} is a folder; give a file name, e.g. {target / 'omnictl-backup.db'}")
    if target.exists() and not overwrite:
        raise UsageError(f"backup target {target} already exists; use --force to replace it")
    if not os.access(target.parent, os.W_OK):
        raise UsageError(f"cannot write backup {target}: folder {target.parent} is not writable")


def _copy(db: Database, temp: Path, progress) -> list[str]:
    """Copy into `temp` from one snapshot; return quick_check's messages for the copy."""
    conn = db.conn
    hold = not conn.in_transaction and db.scalar("PRAGMA journal_mode") == "wal"
    dest = sqlite3.connect(temp, isolation_level=None)
    try:
        if hold:                                          # one read snapshot for every step
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        try:
            conn.backup(dest, pages=BACKUP_STEP_PAGES, sleep=0.01,
                        progress=(lambda _status, remaining, total: progress(total - remaining, total))
                        if progress else None)
        finally:
            if hold:
                conn.execute("ROLLBACK")
        dest.execute("PRAGMA journal_mode = DELETE")      # one self-contained file, no -wal beside it
        return [row[0] for row in dest.execute(f"PRAGMA quick_check({MAX_EXAMPLES})")]
    finally:
        dest.close()


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-journal"), path.with_name(path.name + "-wal"),
                     path.with_name(path.name + "-shm")):
        try:
            leftover.unlink()
        except OSError:            # absent, or already gone
            pass


# -- vacuum ---------------------------------------------------------------------------------

def vacuum_database(db: Database) -> VacuumResult:
    """Rebuild the file without free pages, then fold the WAL back in. Needs the write lock:
    while another connection holds it, the busy timeout waits, then the usual locked error."""
    before = _file_size(db.path) + _file_size(_wal_path(db.path))
    free_before = db.scalar("PRAGMA freelist_count")
    started = time.monotonic()
    try:
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.OperationalError as err:
        raise _translate(err, db.path) from None
    after = _file_size(db.path) + _file_size(_wal_path(db.path))
    return VacuumResult(path=str(db.path), bytes_before=before, bytes_after=after, free_pages_before=free_before,
                        free_pages_after=db.scalar("PRAGMA freelist_count"),
                        seconds=round(time.monotonic() - started, 3))
