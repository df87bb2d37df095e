"""Pages of rows for the full-screen console: the orders of every channel a page at a time,
one order with everything customer service needs, and the database's change counter.

A table in the console never holds every row: it asks for `count` once and for a `page`
(offset, limit) as the user scrolls. Orders are read newest first through the ordered_on
index (its rowid tail gives `id DESC` for free), so the first page of a million lines is
one short index walk.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from omnictl import values as V
from omnictl.db import Database
from omnictl.errors import NotFound, UsageError
from omnictl.models import OrderDetail, OrderSummary, StatusStep
from omnictl.orders import STATUSES, check_date, get_order

ORDER_COLUMNS = ("id", "channel", "order", "date", "customer", "status", "lines", "total", "ship by")

_PAGE_SQL = """
SELECT o.id, o.channel, o.external_id, o.ordered_on, p.name,  o.status,
       (SELECT count(*) FROM order_line l WHERE l.order_id = o.id), o.total_minor, o.currency,
       o.promised_ship_by
FROM sales_order o LEFT JOIN party p ON p.id = o.party_id
"""


@dataclass(frozen=True)
class OrderFilter:
    """What the orders table shows: every filter optional; dates are company-time calendar days."""

    channel: str | None = None
    status: str | None = None
    since: str | None = None
    until: str | None = None

    def where(self) -> tuple[str, list]:
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
    rows = db.conn.execute(_PAGE_SQL + sql + " ORDER BY o.ordered_on DESC, o.id DESC LIMIT ? OFFSET ?",
                           [*params, int(limit), int(offset)])
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


# -- one order ------------------------------------------------------------------------------

class LineStock(BaseModel):
    line_key: str
    sku: str | None
    quantity: float
    fulfilment: str
    on_hand: float | None                # at the channel's fulfilment location (None: unmapped line)
    atp: float | None
    open_supply: float | None
    location: str | None


class ProductionLink(BaseModel):
    number: str
    sku: str
    quantity: float
    status: str
    planned_end: str | None
    line_key: str


class OrderCard(BaseModel):
    """Where an order is, in one place: the order and its lines, its status steps, stock per
    line, the production orders serving it and the ship date the current plan gives."""

    order: OrderDetail
    status_history: list[StatusStep] = []
    stock: list[LineStock] = []
    production: list[ProductionLink] = []


def order_card(db: Database, order_id: int) -> OrderCard:
    from omnictl.inventory import positions
    from omnictl.search import with_history

    row = db.one("SELECT channel, external_id FROM sales_order WHERE id = ?", (order_id,))
    if row is None:
        raise NotFound(f"no order with id {order_id} (it may have been removed by an undone import)")
    detail = get_order(db, row["external_id"], row["channel"])
    history = with_history(db, [OrderSummary(**detail.model_dump(include=set(OrderSummary.model_fields)))])
    location = db.scalar("SELECT location FROM channel WHERE code = ?", (row["channel"],))
    stock = []
    for line in detail.lines:
        held = [p for p in positions(db, sku=line.sku) if p.location == location] if line.sku else []
        first = held[0] if held else None
        stock.append(LineStock(line_key=line.line_key, sku=line.sku, quantity=line.quantity,
                               fulfilment=line.fulfilment, location=location if line.sku else None,
                               on_hand=first.on_hand if first else (0.0 if line.sku else None),
                               atp=first.atp if first else (0.0 if line.sku else None),
                               open_supply=first.open_supply if first else (0.0 if line.sku else None)))
    production = [ProductionLink(number=r["number"], sku=r["sku"], quantity=r["quantity"], status=r["status"],
                                 planned_end=r["planned_end"], line_key=r["line_key"])
                  for r in db.query("SELECT p.number, p.sku, p.quantity, p.status, p.planned_end, l.line_key "
                                    "FROM production_peg g JOIN production_order p ON p.id = g.production_id "
                                    "JOIN order_line l ON l.id = g.order_line_id WHERE l.order_id = ? "
                                    "AND p.status != 'cancelled' ORDER BY p.number", (order_id,))]
    return OrderCard(order=detail, status_history=history[0].status_history or [], stock=stock,
                     production=production)


def location_codes(db: Database) -> list[tuple[str, str]]:
    """(code, kind) of every location, warehouses first."""
    return [(r[0], r[1]) for r in db.execute("SELECT code, kind FROM location ORDER BY kind != 'warehouse', code")]
