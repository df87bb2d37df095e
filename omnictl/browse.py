"""Pages of rows for the full-screen console: the orders of every channel a page at a time,
and the database's change counter (the order card is in omnictl/order_card.py).

A table in the console never holds every row: it asks for `count` once and for a `page`
(offset, limit) as the user scrolls. Orders are read newest first through the ordered_on
index (its rowid tail gives `id DESC` for free), so the first page of a million lines is
one short index walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from omnictl import values as V
from omnictl.db import Database
from omnictl.errors import UsageError

if TYPE_CHECKING:
    from omnictl.models import OrderSummary

# The console's first screen imports this module: the models (72 pydantic classes, about
# 0.1 s) are imported when an order is searched or opened, not at launch.

STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "returned", "refunded")   # orders.STATUSES
ORDER_COLUMNS = ("id", "channel", "order", "date", "customer", "status", "lines", "total", "ship by")

# The page's ids first (OFFSET walks the ordered_on index only), then their columns: joining
# before the OFFSET would look up the party and count the lines of every skipped order.
_PAGE_SQL = """
SELECT o.id, o.channel, o.external_id, o.ordered_on, p.name,  o.status,
       (SELECT count(*) FROM order_line l WHERE l.order_id = o.id), o.total_minor, o.currency,
       o.promised_ship_by
FROM (SELECT o.id FROM sales_order o{where} ORDER BY o.ordered_on DESC, o.id DESC LIMIT ? OFFSET ?) AS pick
JOIN sales_order o ON o.id = pick.id
LEFT JOIN party p ON p.id = o.party_id
ORDER BY o.ordered_on DESC, o.id DESC
"""


@dataclass(frozen=True)
class OrderFilter:
    """What the orders table shows: every filter optional; dates are company-time calendar days."""

    channel: str | None = None
    status: str | None = None
    since: str | None = None
    until: str | None = None

    def where(self) -> tuple[str, list]:
        from omnictl.orders import check_date

        clauses, params = [], []
        if self.channel:
            clauses.append("o.channel = ?")
            params.append(self.channel)
        if self.status:
            if self.status not in STATUSES:
                raise UsageError(f"status '{self.status}' is not one of {', '.join(STATUSES)}")
            clauses.append("o.status = ?")
            params.append(self.status)
        if since := check_date(self.since, "from"):
            clauses.append("o.ordered_on >= ?")
            params.append(since)
        if until := check_date(self.until, "to"):
            clauses.append("o.ordered_on <= ?")
            params.append(until)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def money(minor: int | None, currency: str | None) -> str:
    return "" if minor is None else f"{V.from_minor(minor, currency)} {currency or ''}".strip()


def count_orders(db: Database, where: OrderFilter = OrderFilter()) -> int:
    sql, params = where.where()
    return db.scalar(f"SELECT count(*) FROM sales_order o{sql}", params)


def page_orders(db: Database, where: OrderFilter, offset: int, limit: int) -> list[tuple]:
    """Rows of ORDER_COLUMNS, newest first, from `offset`."""
    sql, params = where.where()
    rows = db.conn.execute(_PAGE_SQL.format(where=sql), [*params, int(limit), int(offset)])
    return [(r[0], r[1], r[2], r[3] or "", r[4] or "", r[5], r[6], money(r[7], r[8]), r[9] or "") for r in rows]


def summary_row(order: OrderSummary) -> tuple:
    """A search result as a row of ORDER_COLUMNS."""
    return (order.id, order.channel, order.external_id, order.ordered_on or "", order.customer_name or "",
            order.status, order.line_count, money(order.total_minor, order.currency), order.promised_ship_by or "")


def channel_codes(db: Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT code FROM channel ORDER BY code")]


def data_version(db: Database) -> int:
    """SQLite's counter of commits by other connections: a change means someone else wrote."""
    return db.scalar("PRAGMA data_version")


def location_codes(db: Database) -> list[tuple[str, str]]:
    """(code, kind) of every location, warehouses first."""
    return [(r[0], r[1]) for r in db.execute("SELECT code, kind FROM location ORDER BY kind != 'warehouse', code")]


def closest_skus(db: Database, external_sku: str, product: str | None = None, limit: int = 5) -> list[tuple[str, str]]:
    """The master SKUs (code, name) most like a channel's SKU code and product name, best first,
    to suggest when mapping it; nothing when none is alike."""
    from difflib import SequenceMatcher

    by_code = SequenceMatcher(None, external_sku.casefold())
    by_name = SequenceMatcher(None, product.casefold()) if product else None

    def likeness(matcher: SequenceMatcher, text: str) -> float:
        matcher.set_seq2(text.casefold())
        # the quick upper bounds rule most SKUs out before the full comparison
        return matcher.ratio() if matcher.real_quick_ratio() >= 0.4 and matcher.quick_ratio() >= 0.4 else 0.0

    scored = []
    for code, name in db.conn.execute("SELECT code, name FROM sku ORDER BY code"):
        score = max(likeness(by_code, code), likeness(by_name, name) if by_name else 0.0)
        if score >= 0.4:
            scored.append((-score, code, name))
    return [(code, name) for _, code, name in sorted(scored)[:limit]]
