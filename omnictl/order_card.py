"""One order with everything customer service needs to answer "where is my order"."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from omnictl import clock
from omnictl.db import Database
from omnictl.errors import NotFound
from omnictl.models import OrderDetail, OrderSummary, StatusStep
from omnictl.orders import get_order


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
    days_late: int = 0                  # today past the promised ship-by, the order not shipped
    expected_days_late: int = 0         # the plan's ship date past the promise


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
                     production=production, days_late=_days_late(detail),
                     expected_days_late=_days_between(detail.promised_ship_by, detail.expected_ship_on))


def _days_between(first: str | None, then: str | None) -> int:
    if not first or not then:
        return 0
    return max(0, (date.fromisoformat(then[:10]) - date.fromisoformat(first[:10])).days)


def _days_late(order: OrderDetail) -> int:
    if order.fulfilment in ("shipped", "delivered") or order.status in ("cancelled", "refunded", "returned"):
        return 0
    return _days_between(order.promised_ship_by, clock.today().isoformat())
