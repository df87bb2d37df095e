"""Reconcile the ledger with a physical count or another system's snapshot; opening balances.

A count (one location) or a snapshot (one or many locations) is read by omnictl.snapshots
and stored whole (`stock_count`, `count_line`), then compared line by line with the book:
on hand at the count time (the sum of moves effective up to it), the difference, its value
at the SKU's cost, and how many moves came after the count time. SKUs the file counts but
master data does not know are listed, never posted. SKUs with stock that the file does not
list are counted as 0 under `--scope full` and listed but ignored under `partial`.
Duplicate lines are summed and said.

`apply` posts 'count' moves, effective at the count time, so that the book at that time
equals what was counted, in one transaction and once per file and location. A move
recorded after a count was applied but effective before its count time (a late move)
changes the book the count fixed: it is flagged, here and by `db check`, never absorbed.

`import_opening` sets on hand at a time from a snapshot file with 'opening' moves; the file
is an import batch (kind 'stock:opening') whose rows the moves point to.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from omnictl import audit, clock
from omnictl import values as V
from omnictl.batches import record_batch_end
from omnictl.db import Database
from omnictl.errors import NotFound, UsageError
from omnictl.inventory import Move, check_time, on_hand, post
from omnictl.models import CountLine, LateMove, NotCounted, OpeningResult, ReconcileReport, RejectInfo, SkuRows
from omnictl.snapshots import Combined, Snapshot, SnapshotRow, combine, read_snapshot

SCOPES = ("full", "partial")
KINDS = ("count", "snapshot")
EPS = 1e-9
OPENING_KIND = "stock:opening"


# -- tolerance ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tolerance:
    """`N` units, or `P%` of the book; a difference above it is over tolerance."""

    text: str
    units: float = 0.0
    percent: float | None = None

    def exceeded(self, difference: float, book: float) -> bool:
        size = abs(difference)
        if size <= EPS:
            return False
        if self.percent is not None:
            return size > abs(book) * self.percent / 100 + EPS
        return size > self.units + EPS


def parse_tolerance(text: str | None) -> Tolerance:
    if text is None or not text.strip():
        return Tolerance("0")
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(V.parse_decimal(raw[:-1].strip() if percent else raw))
    except ValueError:
        value = -1.0
    if value < 0:
        raise UsageError(f"--tolerance '{text}' is not a number of units (e.g. 2) or a percentage of the book "
                         f"(e.g. 5%)")
    return Tolerance(raw, percent=value) if percent else Tolerance(raw, units=value)


# -- reconcile ------------------------------------------------------------------------------

def reconcile_file(db: Database, path: str | Path, *, kind: str = "count", location: str | None = None,
                   at: str | None = None, scope: str = "partial", tolerance: str | None = None,
                   apply: bool = False, reason: str | None = None, actor: str = "unknown") -> ReconcileReport:
    """Compare FILE with the book at its count time; store the count; with `apply`, correct the book."""
    if kind not in KINDS:
        raise UsageError(f"unknown reconciliation kind '{kind}'; one of {', '.join(KINDS)}")
    if kind == "count" and not location:
        raise UsageError("reconcile count needs --location CODE: the location that was counted")
    if scope not in SCOPES:
        raise UsageError(f"--scope '{scope}' is not one of {', '.join(SCOPES)}")
    if apply and not (reason or "").strip():
        raise UsageError("--apply needs --reason TEXT: why the book is corrected (kept with every move)")
    limit = parse_tolerance(tolerance)
    counted_at = check_time(at, "--at") or clock.utc_now_iso()
    snapshot = read_snapshot(db, path, location)          # file faults end here: nothing is written
    return _reconcile(db, snapshot, kind, location, counted_at, scope, limit, apply, reason, actor)


def reconcile_counts(db: Database, location: str, counted: dict[str, float], *, at: str | None = None,
                     scope: str = "partial", tolerance: str | None = None, apply: bool = False,
                     reason: str | None = None, actor: str = "unknown") -> ReconcileReport:
    """A count entered by hand or scanner (SKU code or barcode → quantity at `location`), stored,
    compared and (with `apply`) applied exactly as a count file is, in one transaction. Pass the
    preview's `counted_at` as `at` when applying, so the confirmed count is the one that was shown."""
    snapshot, counted_at, limit = _entered(db, location, counted, at, scope, tolerance)
    if apply and not (reason or "").strip():
        raise UsageError("say why the book is corrected (kept with every move)")
    return _reconcile(db, snapshot, "count", location, counted_at, scope, limit, apply, reason, actor)


def preview_counts(db: Database, location: str, counted: dict[str, float], *, at: str | None = None,
                   scope: str = "partial", tolerance: str | None = None) -> ReconcileReport:
    """What `reconcile_counts` would store and apply, read only: nothing is written, so a count
    that is looked at and cancelled leaves no trace (`count_id` is None)."""
    snapshot, counted_at, limit = _entered(db, location, counted, at, scope, tolerance)
    report = _compare(db, snapshot, "count", location, counted_at, scope, limit)
    report.late_moves = late_moves(db, snapshot.locations)
    return report


def _entered(db: Database, location: str, counted: dict[str, float], at: str | None, scope: str,
             tolerance: str | None) -> tuple[Snapshot, str, Tolerance]:
    """An entered count as a snapshot. Its identity is place, time and lines: the same quantities
    counted again later are a new count (the book may have moved since), while applying one
    confirmation twice (same `at`) stays once."""
    if not counted:
        raise UsageError("nothing was counted: scan or type a SKU first")
    if db.one("SELECT 1 FROM location WHERE code = ?", (location,)) is None:
        raise NotFound(f"no location '{location}'; `omnictl master import locations FILE` adds them")
    if scope not in SCOPES:
        raise UsageError(f"scope '{scope}' is not one of {', '.join(SCOPES)}")
    limit = parse_tolerance(tolerance)
    counted_at = check_time(at, "--at") or clock.utc_now_iso()
    text = "\n".join(f"{code}\t{quantity!r}" for code, quantity in sorted(counted.items()))
    snapshot = Snapshot(Path(f"count at {location}"),
                        hashlib.sha256(f"{location}\n{counted_at}\n{text}".encode()).hexdigest(),
                        "entered", locations=[location], rows_read=len(counted))
    codes = resolve_codes(db, list(counted))
    snapshot.rows = [SnapshotRow(codes[code], location, float(quantity), row_no)
                     for row_no, (code, quantity) in enumerate(counted.items(), start=1)]
    return snapshot, counted_at, limit


def resolve_codes(db: Database, codes: list[str]) -> dict[str, str]:
    """A scanned or typed code → the master SKU it names (code or barcode), else itself."""
    found = {}
    for code in codes:
        row = db.one("SELECT code FROM sku WHERE code = ? UNION ALL SELECT code FROM sku WHERE barcode = ? LIMIT 1",
                     (code, code))
        found[code] = row[0] if row else code
    return found


def _reconcile(db: Database, snapshot: Snapshot, kind: str, location: str | None, counted_at: str, scope: str,
               limit: Tolerance, apply: bool, reason: str | None, actor: str) -> ReconcileReport:
    with db.write():
        previous = db.one("SELECT * FROM stock_count WHERE sha256 = ? AND location IS ? AND applied_at IS NOT NULL "
                          "ORDER BY id LIMIT 1", (snapshot.sha256, location))
        if apply and previous is not None:
            report = _compare(db, snapshot, kind, location, previous["counted_at"], previous["scope"], limit)
            report.count_id = report.already_applied_as = previous["id"]
            report.applied_at = previous["applied_at"]
        else:
            count_id = _store(db, snapshot, kind, location, counted_at, scope, actor, reason)
            report = _compare(db, snapshot, kind, location, counted_at, scope, limit)
            report.count_id = count_id
            if apply:
                _apply(db, report, reason.strip(), actor)
        report.late_moves = late_moves(db, snapshot.locations)
    return report


def _store(db: Database, snapshot: Snapshot, kind: str, location: str | None, counted_at: str, scope: str,
           actor: str, reason: str | None) -> int:
    """The count's record and lines; a run of the same file, place, time and scope reuses its record."""
    same = db.scalar("SELECT id FROM stock_count WHERE kind = ? AND sha256 = ? AND location IS ? AND counted_at = ? "
                     "AND scope = ? AND applied_at IS NULL ORDER BY id DESC LIMIT 1",
                     (kind, snapshot.sha256, location, counted_at, scope))
    if same is not None:
        return same
    count_id = db.execute("INSERT INTO stock_count (kind, location, counted_at, scope, file_name, sha256, actor, "
                          "recorded_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          (kind, location, counted_at, scope, snapshot.name, snapshot.sha256, actor,
                           clock.utc_now_iso(), reason)).lastrowid
    db.conn.executemany("INSERT INTO count_line (count_id, sku, location, counted, row_no) VALUES (?, ?, ?, ?, ?)",
                        [(count_id, r.sku, r.location, r.quantity, r.row_no) for r in snapshot.rows])
    return count_id


_BOOK_SQL = """
SELECT sku, location, total(quantity) FILTER (WHERE effective_at <= ?) AS book,
       count(*) FILTER (WHERE effective_at > ?) AS since
FROM stock_move INDEXED BY stock_move_position
WHERE location IN ({marks})
GROUP BY sku, location
"""


def book_at(db: Database, locations: list[str], at: str) -> dict[tuple[str, str], tuple[float, int]]:
    """(on hand at `at`, moves effective after it) per SKU and location, in one pass over the
    covering index (the same sum as inventory.on_hand(as_of=at))."""
    if not locations:
        return {}
    sql = _BOOK_SQL.format(marks=", ".join("?" * len(locations)))
    return {(r["sku"], r["location"]): (r["book"], r["since"]) for r in db.execute(sql, (at, at, *locations))}


def _compare(db: Database, snapshot: Snapshot, kind: str, location: str | None, counted_at: str, scope: str,
             limit: Tolerance) -> ReconcileReport:
    cost = dict(db.query("SELECT code, cost_minor FROM sku"))
    groups = combine(snapshot.rows)
    book = book_at(db, snapshot.locations, counted_at)
    report = ReconcileReport(kind=kind, file=str(snapshot.path), sha256=snapshot.sha256, layout=snapshot.layout,
                             location=location, locations=snapshot.locations, counted_at=counted_at, scope=scope,
                             tolerance=limit.text, currency=db.setting("company.currency"),
                             rows_read=snapshot.rows_read, rejects=snapshot.rejects, skipped=snapshot.skipped)
    _issues(report, groups)
    for key, group in groups.items():
        if group.sku not in cost:
            report.unknown_skus.append(_rows(group))
            continue
        held, since = book.get(key, (0.0, 0))
        report.lines.append(_line(group.sku, group.location, held, group.quantity, since, cost, limit, group.rows))
    for key in sorted(book):
        held, since = book[key]
        if key in groups or abs(held) <= EPS or key in snapshot.rejected_skus:
            continue
        report.not_counted.append(NotCounted(sku=key[0], location=key[1], book=held,
                                             treated_as="zero" if scope == "full" else "ignored"))
        if scope == "full":
            report.lines.append(_line(key[0], key[1], held, 0.0, since, cost, limit, []))
    report.differences = sum(1 for line in report.lines if abs(line.difference) > EPS)
    report.over_tolerance = sum(1 for line in report.lines if line.over_tolerance)
    report.value_minor = sum(line.value_minor or 0 for line in report.lines)
    return report


def _line(sku: str, location: str, book: float, counted: float, since: int, cost: dict, limit: Tolerance,
          rows: list[int]) -> CountLine:
    difference = _round(counted - book)
    unit_cost = cost.get(sku)
    value = None if unit_cost is None else _value(difference, unit_cost)
    return CountLine(sku=sku, location=location, book=_round(book), counted=counted, difference=difference,
                     value_minor=value, moves_since=since, over_tolerance=limit.exceeded(difference, book), rows=rows)


def _value(difference: float, unit_cost_minor: int) -> int:
    """The difference's value in minor units, half away from zero."""
    if difference.is_integer():
        return int(difference) * unit_cost_minor
    return int((Decimal(repr(difference)) * unit_cost_minor).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def _round(value: float) -> float:
    """Sums of REAL quantities, without float dust (0.1 + 0.2)."""
    value = float(value)
    if value.is_integer():
        return value + 0.0                   # -0.0 becomes 0.0
    rounded = round(value, 9)
    return 0.0 if rounded == 0 else rounded


def _rows(group: Combined) -> SkuRows:
    return SkuRows(sku=group.sku, location=group.location, counted=_round(group.quantity), rows=group.rows)


def _issues(report, groups: dict[tuple[str, str], Combined]) -> None:
    for group in groups.values():
        if len(group.rows) > 1:
            report.duplicates.append(_rows(group))
        if group.quantity < -EPS:
            report.negative.append(_rows(group))


def _apply(db: Database, report: ReconcileReport, reason: str, actor: str) -> None:
    """Count moves at the count time so that book equals counted then; the count is applied."""
    moves = [Move(line.sku, line.location, line.difference, "count", report.counted_at, reason=reason,
                  count_id=report.count_id, source_row=line.rows[0] if line.rows else None)
             for line in report.lines if abs(line.difference) > EPS]
    report.moves_posted = post(db, moves, actor)
    report.applied_at = clock.utc_now_iso()
    db.execute("UPDATE stock_count SET applied_at = ?, applied_by = ?, reason = ? WHERE id = ?",
               (report.applied_at, actor, reason, report.count_id))
    report.applied = True
    audit.record(db, actor, "count.apply", f"count {report.count_id}",
                 {"book": {f"{line.sku} at {line.location}": line.book for line in report.lines
                           if abs(line.difference) > EPS}},
                 {"counted": {f"{line.sku} at {line.location}": line.counted for line in report.lines
                              if abs(line.difference) > EPS}, "reason": reason, "moves": report.moves_posted})


# -- late moves -----------------------------------------------------------------------------

# For each applied count and each location it covers (its own, or its lines' for a snapshot
# over several): moves at that location recorded after the count was applied, effective
# before its count time; under a partial scope only the SKUs it counted. The recorded-time
# index (location, recorded_at) keeps this to the moves since each count.
_LATE_SQL = """
WITH covered AS (
    SELECT id, counted_at, applied_at, scope, location FROM stock_count
    WHERE applied_at IS NOT NULL AND location IS NOT NULL
    UNION
    SELECT DISTINCT c.id, c.counted_at, c.applied_at, c.scope, l.location
    FROM stock_count c JOIN count_line l ON l.count_id = c.id
    WHERE c.applied_at IS NOT NULL AND c.location IS NULL
)
SELECT m.id, m.sku, m.location, m.quantity, m.kind, m.effective_at, m.recorded_at,
       cv.id AS count_id, cv.counted_at, cv.applied_at
FROM covered cv
JOIN stock_move m INDEXED BY stock_move_recorded
     ON m.location = cv.location AND m.recorded_at > cv.applied_at AND m.effective_at < cv.counted_at
WHERE (m.count_id IS NULL OR m.count_id != cv.id)
  AND (cv.scope = 'full' OR EXISTS (SELECT 1 FROM count_line cl WHERE cl.count_id = cv.id
                                    AND cl.location = m.location AND cl.sku = m.sku))
  {filter}
ORDER BY m.id, cv.id
"""


def late_moves(db: Database, locations: list[str] | None = None) -> list[LateMove]:
    """Moves recorded after an applied count with an effective time before its count time."""
    filter_sql, params = "", []
    if locations is not None:
        if not locations:
            return []
        filter_sql = f"AND cv.location IN ({', '.join('?' * len(locations))})"
        params = list(locations)
    return [LateMove(move=r["id"], sku=r["sku"], location=r["location"], quantity=r["quantity"], kind=r["kind"],
                     effective_at=r["effective_at"], recorded_at=r["recorded_at"], count_id=r["count_id"],
                     counted_at=r["counted_at"], applied_at=r["applied_at"])
            for r in db.execute(_LATE_SQL.format(filter=filter_sql), params)]


def late_move_sentence(late: LateMove) -> str:
    return (f"move {late.move} ({late.kind} {V.quantity_text(late.quantity)} {late.sku} at {late.location}, "
            f"effective {late.effective_at}) was recorded {late.recorded_at}, after count {late.count_id} "
            f"(counted {late.counted_at}) was applied at {late.applied_at}: it changes the book the count set; "
            f"reconcile that location again")


# -- opening balances -----------------------------------------------------------------------

def import_opening(db: Database, path: str | Path, *, location: str | None = None, at: str | None = None,
                   actor: str = "unknown") -> OpeningResult:
    """Post 'opening' moves so that on hand at `at` (default now) equals the file, per SKU and
    location. Unknown SKUs are rejects (never created). The same file again posts nothing."""
    when = check_time(at, "--at") or clock.utc_now_iso()
    snapshot = read_snapshot(db, path, location)
    profile = snapshot.layout + (f" @ {location}" if location else "")
    result = OpeningResult(file=str(snapshot.path), batch=None, layout=snapshot.layout, at=when,
                           rows_read=snapshot.rows_read, skipped=snapshot.skipped)
    with db.write():
        prior = db.scalar("SELECT id FROM import_batch WHERE kind = ? AND sha256 = ? AND profile IS ? "
                          "AND undone_at IS NULL ORDER BY id LIMIT 1", (OPENING_KIND, snapshot.sha256, profile))
        if prior is not None:
            result.already_imported_as = prior
            return result
        batch = db.execute("INSERT INTO import_batch (kind, file_name, sha256, profile, actor, started_at) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           (OPENING_KIND, snapshot.name, snapshot.sha256, profile, actor,
                            clock.utc_now_iso())).lastrowid
        result.batch = batch
        known = {r[0] for r in db.execute("SELECT code FROM sku")}
        rejects = list(snapshot.rejects)
        for row in snapshot.rows:
            if row.sku not in known:
                rejects.append(RejectInfo(row=row.row_no, field=snapshot.sku_column,
                                          reason=f"row {row.row_no}, column '{snapshot.sku_column}': no master SKU "
                                                 f"'{row.sku}'; add it with `omnictl master import skus FILE` first",
                                          raw=snapshot.raw(row)))
        groups = combine([row for row in snapshot.rows if row.sku in known])
        _issues(result, groups)
        book: dict[tuple[str, str], float] = {}
        for code in snapshot.locations:
            book.update(on_hand(db, location=code, as_of=when))
        moves = []
        for key, group in groups.items():
            delta = _round(group.quantity - book.get(key, 0.0))
            result.units += delta
            if abs(delta) > EPS:
                moves.append(Move(group.sku, group.location, delta, "opening", when,
                                  reason=f"opening balance from {snapshot.name}", batch_id=batch,
                                  source_row=group.rows[0]))
        result.lines = len(groups)
        result.moves = post(db, moves, actor)
        result.units = _round(result.units)
        rejects.sort(key=lambda r: r.row)
        result.rejects = rejects
        record_batch_end(db, batch, result)
    return result


def book_for_code(db: Database, location: str, code: str) -> tuple[str, float | None]:
    """(the SKU a scanned code names, its on hand at `location` now); None: no such master SKU."""
    sku = resolve_codes(db, [code])[code]
    if db.one("SELECT 1 FROM sku WHERE code = ?", (sku,)) is None:
        return sku, None
    return sku, on_hand(db, sku, location).get((sku, location), 0.0)
