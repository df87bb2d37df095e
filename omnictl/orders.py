"""Read orders back: list with filters (streamed), show one with lines and history."""

from __future__ import annotations

from datetime import date
from typing import Iterator

from omnictl.db import Database
from omnictl.errors import NotFound, UsageError
from omnictl.models import EventInfo, LineInfo, OrderDetail, OrderSummary

STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "returned", "refunded")

SUMMARY_SQL = """
SELECT o.*, c.code AS customer_code, p.name AS customer_name, p.email AS customer_email,
       p.phone AS customer_phone,
       (SELECT count(*) FROM order_line l WHERE l.order_id = o.id) AS line_count
FROM sales_order o
LEFT JOIN customer c ON c.id = o.customer_id
LEFT JOIN party p ON p.id = o.party_id
"""


def summary(row) -> OrderSummary:
    return OrderSummary(
        id=row["id"], channel=row["channel"], external_id=row["external_id"], status=row["status"],
        payment=row["payment"], fulfilment=row["fulfilment"],
        ordered_at=row["ordered_at"] or row["ordered_on"], ordered_on=row["ordered_on"],
        promised_ship_by=row["promised_ship_by"], promised_source=row["promised_source"],
        total_minor=row["total_minor"], refunded_minor=row["refunded_minor"], currency=row["currency"],
        customer=row["customer_code"],
        customer_name=row["customer_name"], line_count=row["line_count"])


def check_date(text: str | None, option: str) -> str | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"{option} '{text}' is not a date (YYYY-MM-DD)") from None


def list_orders(db: Database, *, channel: str | None = None, status: str | None = None,
                since: str | None = None, until: str | None = None, sku: str | None = None,
                customer: str | None = None, limit: int | None = None) -> Iterator[OrderSummary]:
    """Orders newest first, streamed. Dates are calendar dates in the company timezone, inclusive."""
    where, params = [], []
    if channel and db.one("SELECT 1 FROM channel WHERE code = ?", (channel,)) is None:
        raise NotFound(f"no channel '{channel}'; `omnictl channels list` shows them")
    if since and until and check_date(since, "--from") > check_date(until, "--to"):
        raise UsageError(f"--from {since} is after --to {until}")
    if channel:
        where.append("o.channel = ?")
        params.append(channel)
    if status:
        if status not in STATUSES:
            raise UsageError(f"--status '{status}' is not one of {', '.join(STATUSES)}")
        where.append("o.status = ?")
        params.append(status)
    if since := check_date(since, "--from"):
        where.append("o.ordered_on >= ?")
        params.append(since)
    if until := check_date(until, "--to"):
        where.append("o.ordered_on <= ?")
        params.append(until)
    if sku:
        where.append("o.id IN (SELECT order_id FROM order_line WHERE sku = ? OR external_sku = ?)")
        params += [sku, sku]
    if customer:
        where.append("(c.code = ? OR p.email_key = lower(?) OR p.name LIKE ?)")
        params += [customer, customer, f"%{customer}%"]
    sql = SUMMARY_SQL + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY o.ordered_on DESC, o.ordered_at DESC, o.id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return map(summary, db.execute(sql, params))     # checked now, streamed as read


def find_order_id(db: Database, key: str, channel: str | None = None) -> int:
    """An order by internal id, or by its channel order number (with or without '#')."""
    candidates = [key, f"#{key}"] if not key.startswith("#") else [key, key[1:]]
    sql = "SELECT id, channel FROM sales_order WHERE external_id IN (?, ?)"
    params = candidates
    if channel:
        sql += " AND channel = ?"
        params = [*candidates, channel]
    rows = db.query(sql, params)
    if not rows and key.isdigit() and not channel:
        rows = db.query("SELECT id, channel FROM sales_order WHERE id = ?", (int(key),))
    if not rows:
        raise NotFound(f"no order '{key}'" + (f" in channel {channel}" if channel else ""))
    if len(rows) > 1:
        where = ", ".join(f"{r['channel']} (id {r['id']})" for r in rows)
        raise UsageError(f"order '{key}' exists in several channels: {where}; add --channel or use the id")
    return rows[0]["id"]


def get_order(db: Database, key: str, channel: str | None = None) -> OrderDetail:
    order_id = find_order_id(db, key, channel)
    row = db.one(SUMMARY_SQL + " WHERE o.id = ?", (order_id,))
    head = summary(row)
    batch = db.one("SELECT file_name FROM import_batch WHERE id = ?", (row["last_batch_id"],))
    lines = [LineInfo(id=l["id"], line_key=l["line_key"], sku=l["sku"], external_sku=l["external_sku"],
                      mapping=l["mapping"], product_name=l["product_name"], quantity=l["quantity"],
                      unit_price_minor=l["unit_price_minor"], line_total_minor=l["line_total_minor"],
                      payment=l["payment"], fulfilment=l["fulfilment"], status=l["status"],
                      raw_status=l["raw_status"], shipped_at=l["shipped_at"],
                      source_batch=l["last_batch_id"], source_row=l["source_row"])
             for l in db.query("SELECT * FROM order_line WHERE order_id = ? ORDER BY id", (order_id,))]
    history = [EventInfo(at=e["at"], batch=e["batch_id"], line_key=e["line_key"], field=e["field"],
                         old=e["old"], new=e["new"])
               for e in db.query("SELECT e.*, l.line_key FROM order_event e LEFT JOIN order_line l "
                                 "ON l.id = e.line_id WHERE e.order_id = ? ORDER BY e.id", (order_id,))]
    from omnictl.planning.schedule import expected_ship

    head.expected_ship_on = expected_ship(db, [order_id]).get(order_id)
    return OrderDetail(
        **head.model_dump(), raw_status=row["raw_status"], ordered_raw=row["ordered_raw"],
        deliver_by=row["deliver_by"], subtotal_minor=row["subtotal_minor"],
        shipping_minor=row["shipping_minor"], tax_minor=row["tax_minor"],
        discount_minor=row["discount_minor"],
        customer_email=row["customer_email"], customer_phone=row["customer_phone"],
        source_batch=row["last_batch_id"], source_file=batch["file_name"] if batch else "",
        source_row=row["source_row"], lines=lines, history=history)
