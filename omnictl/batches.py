"""Import batches: list, show with rejects, undo the latest batch touching its orders."""

from __future__ import annotations

from omnictl import audit, clock
from omnictl.db import Database
from omnictl.errors import Blocked, NotFound, StrictRejects, UsageError
from omnictl.inventory import sync_order_stock
from omnictl.models import BatchInfo, RejectInfo, UndoResult



def _info(row, rejects=None) -> BatchInfo:
    return BatchInfo(id=row["id"], kind=row["kind"], file=row["file_name"], sha256=row["sha256"],
                     channel=row["channel"], profile=row["profile"], rows_read=row["rows_read"],
                     imported=row["imported"], rejected=row["rejected"],
                     orders_created=row["orders_created"], orders_updated=row["orders_updated"],
                     lines=row["lines_written"], unmapped=row["unmapped"], actor=row["actor"],
                     started_at=row["started_at"], finished_at=row["finished_at"],
                     undone_at=row["undone_at"], undone_by=row["undone_by"], rejects=rejects)


def list_batches(db: Database, *, channel: str | None = None, limit: int | None = None) -> list[BatchInfo]:
    sql, params = "SELECT * FROM import_batch", []
    if channel:
        sql += " WHERE channel = ?"
        params.append(channel)
    sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
    return [_info(r) for r in db.query(sql, params)]


def get_batch(db: Database, batch_id: int) -> BatchInfo:
    row = db.one("SELECT * FROM import_batch WHERE id = ?", (batch_id,))
    if row is None:
        raise NotFound(f"no import batch {batch_id}; `omnictl imports list` shows them")
    rejects = [RejectInfo(row=r["row_no"], field=r["field"], reason=r["reason"], raw=r["raw"])
               for r in db.query("SELECT * FROM import_reject WHERE batch_id = ? ORDER BY row_no", (batch_id,))]
    return _info(row, rejects)


def undo_batch(db: Database, batch_id: int, actor: str) -> UndoResult:
    """Revert what an orders batch did, if no later live batch changed the same orders."""
    batch = get_batch(db, batch_id)
    if batch.kind != "orders":
        raise UsageError(f"batch {batch_id} is a {batch.kind} import; only order imports can be undone")
    if batch.undone_at:
        raise UsageError(f"batch {batch_id} was already undone at {batch.undone_at} by {batch.undone_by}")
    blocker = db.one(
        "SELECT b.id, b.file_name FROM order_event e JOIN import_batch b ON b.id = e.batch_id "
        "WHERE e.order_id IN (SELECT order_id FROM order_event WHERE batch_id = ?) "
        "AND e.batch_id > ? AND b.undone_at IS NULL ORDER BY b.id DESC LIMIT 1", (batch_id, batch_id))
    if blocker:
        raise Blocked(f"batch {batch_id} cannot be undone: later batch {blocker['id']} "
                      f"({blocker['file_name']}) changed the same orders; undo batch {blocker['id']} first")
    with db.write():
        touched = [r["id"] for r in db.query("SELECT id FROM order_line WHERE last_batch_id = ? OR order_id IN "
                                             "(SELECT id FROM sales_order WHERE first_batch_id = ?)",
                                             (batch_id, batch_id))]
        created = [r["id"] for r in db.query("SELECT id FROM sales_order WHERE first_batch_id = ?", (batch_id,))]
        lines_removed = _restore_changed(db, batch_id)
        db.execute("DELETE FROM order_event WHERE batch_id = ?", (batch_id,))
        for order_id in created:
            db.execute("DELETE FROM order_event WHERE order_id = ?", (order_id,))
            lines_removed += db.execute("DELETE FROM order_line WHERE order_id = ?", (order_id,)).rowcount
        db.conn.executemany("DELETE FROM sales_order WHERE id = ?", [(i,) for i in created])
        restored = db.execute(
            "UPDATE sales_order SET last_batch_id = coalesce((SELECT max(batch_id) FROM order_event e "
            "WHERE e.order_id = sales_order.id), first_batch_id) WHERE last_batch_id = ?", (batch_id,)).rowcount
        db.execute("UPDATE order_line SET last_batch_id = first_batch_id WHERE last_batch_id = ?", (batch_id,))
        db.execute("UPDATE import_batch SET undone_at = ?, undone_by = ? WHERE id = ?",
                   (clock.utc_now_iso(), actor, batch_id))
        sync_order_stock(db, touched, actor, batch_id=batch_id)       # reverse what its lines posted
        audit.record(db, actor, "batch.undo", f"batch {batch_id}", {"orders_created": len(created)},
                     {"orders_removed": len(created), "orders_restored": restored, "lines_removed": lines_removed})
    return UndoResult(batch=batch_id, orders_removed=len(created), orders_restored=restored,
                      lines_removed=lines_removed)


def _restore_changed(db: Database, batch_id: int) -> int:
    """Put back the old value of every field the batch changed on orders it did not create."""
    removed = 0
    events = db.query(
        "SELECT e.* FROM order_event e JOIN sales_order o ON o.id = e.order_id "
        "WHERE e.batch_id = ? AND o.first_batch_id != ? ORDER BY e.id DESC", (batch_id, batch_id))
    for event in events:
        field = event["field"]
        if field == "line created":
            db.execute("DELETE FROM order_event WHERE line_id = ?", (event["line_id"],))
            removed += db.execute("DELETE FROM order_line WHERE id = ?", (event["line_id"],)).rowcount
        elif event["line_id"] is not None:
            db.execute(f"UPDATE order_line SET {_column(field)} = ? WHERE id = ?", (event["old"], event["line_id"]))
        elif field != "created":
            db.execute(f"UPDATE sales_order SET {_column(field)} = ? WHERE id = ?", (event["old"], event["order_id"]))
    return removed


def _column(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a column name: {name}")
    return name


class DryRun(Exception):
    """Raised inside a write transaction to roll a dry run (or a refused --strict file) back."""


def record_batch_end(db: Database, batch: int, result) -> None:
    """Store a file batch's rejects and counts (`result` has rows_read and rejects)."""
    result.rejected = len(result.rejects)
    db.conn.executemany("INSERT INTO import_reject (batch_id, row_no, field, reason, raw) VALUES (?, ?, ?, ?, ?)",
                        [(batch, r.row, r.field, r.reason, r.raw) for r in result.rejects])
    db.execute("UPDATE import_batch SET rows_read = ?, imported = ?, rejected = ?, finished_at = ? WHERE id = ?",
               (result.rows_read, result.rows_read - result.rejected, result.rejected, clock.utc_now_iso(), batch))


def finish_batch(db: Database, batch: int, path, result, strict: bool, dry_run: bool) -> None:
    """Record the batch's end, then refuse it under --strict when rows were rejected, or roll
    a dry run back (the caller catches DryRun outside its transaction)."""
    record_batch_end(db, batch, result)
    if strict and result.rejected:
        raise StrictRejects(f"{path}: {result.rejected} row(s) rejected under --strict "
                            f"(first: {result.rejects[0].reason}); nothing was written")
    if dry_run:
        raise DryRun
