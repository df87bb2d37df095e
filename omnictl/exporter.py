"""omnictl's own order layout: every channel's orders as one CSV row per line.

The layout is documented in docs/order-layout.md and read back by the `omnictl` profile,
so exporting and importing into an empty database gives the same orders, lines and totals.
Order-level values repeat on each row of an order; an order without lines is one row with
the line columns empty.
"""

from __future__ import annotations

import csv
import os
from typing import TextIO

from omnictl.db import Database
from omnictl.errors import NotFound
from omnictl.files import safe_cell, write_whole
from omnictl.models import ExportResult
from omnictl.orders import check_date
from omnictl.values import from_minor, quantity_text

COLUMNS = (
    "order_id", "line_id", "channel", "ordered_at", "promised_ship_by", "shipped_at", "payment",
    "fulfilment", "status", "sku", "quantity", "unit_price", "currency", "customer_name",
    "customer_phone", "customer_email",
)
EXTRA_COLUMNS = (
    "external_sku", "product_name", "line_total", "order_payment", "order_fulfilment", "subtotal",
    "shipping", "tax", "discount", "order_total", "refunded", "deliver_by", "customer_address",
)
NUMBER_COLUMNS = {"quantity", "unit_price", "line_total", "subtotal", "shipping", "tax", "discount", "order_total",
                  "refunded"}
# Text columns are escaped against spreadsheet formulas (files.safe_cell; the `omnictl` profile undoes it);
# numbers stay numbers, so a return's -1 or a refund's -5.00 is still a number in a spreadsheet.
_TEXT_AT = [ix for ix, name in enumerate(COLUMNS + EXTRA_COLUMNS) if name not in NUMBER_COLUMNS]

_ROWS_SQL = """
SELECT o.id AS order_id, o.external_id, o.channel, o.ordered_at, o.ordered_on, o.promised_ship_by,
       o.deliver_by, o.currency, o.payment AS order_payment, o.fulfilment AS order_fulfilment,
       o.status AS order_status, o.subtotal_minor, o.shipping_minor, o.tax_minor, o.discount_minor,
       o.total_minor, o.refunded_minor, p.name, p.phone, p.email, p.address,
       l.id AS line_id, l.line_key, l.sku, l.external_sku, l.product_name, l.quantity, l.unit_price_minor,
       l.line_total_minor, l.payment, l.fulfilment, l.status, l.shipped_at
FROM sales_order o
LEFT JOIN order_line l ON l.order_id = o.id
LEFT JOIN party p ON p.id = o.party_id
"""


def export_orders(db: Database, path: str | os.PathLike, *, since: str | None = None,
                  channel: str | None = None) -> ExportResult:
    """Write the file whole or not at all (omnictl.files.write_whole)."""
    result = write_whole(path, lambda stream: write_orders(db, stream, since=since, channel=channel))
    result.file = str(path)
    return result


def write_orders(db: Database, stream: TextIO, *, since: str | None = None,
                 channel: str | None = None) -> ExportResult:
    where, params = [], []
    if channel:
        if db.one("SELECT 1 FROM channel WHERE code = ?", (channel,)) is None:
            raise NotFound(f"no channel '{channel}'; `omnictl channels list` shows them")
        where.append("o.channel = ?")
        params.append(channel)
    if since := check_date(since, "--since"):
        where.append("o.ordered_on >= ?")
        params.append(since)
    sql = _ROWS_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY o.id, l.id"
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS + EXTRA_COLUMNS)
    result = ExportResult(file="-", since=since, channel=channel)
    last_order = None
    for row in db.execute(sql, params):
        writer.writerow(_escaped(_row(row)))
        result.rows += 1
        result.lines += row["line_id"] is not None
        if row["order_id"] != last_order:
            result.orders += 1
            last_order = row["order_id"]
    return result


def _escaped(values: list) -> list:
    for ix in _TEXT_AT:
        values[ix] = safe_cell(values[ix])
    return values


def _row(row) -> list:
    currency = row["currency"]

    def money(minor: int | None) -> str:
        return "" if minor is None else from_minor(minor, currency)

    has_line = row["line_id"] is not None
    return [
        row["external_id"], row["line_key"] or "", row["channel"], row["ordered_at"] or row["ordered_on"] or "",
        row["promised_ship_by"] or "", row["shipped_at"] or "",
        row["payment"] if has_line else row["order_payment"],
        row["fulfilment"] if has_line else row["order_fulfilment"],
        row["status"] if has_line else row["order_status"],
        row["sku"] or row["external_sku"] or "", quantity_text(row["quantity"]) if has_line else "",
        money(row["unit_price_minor"]), currency or "", row["name"] or "", row["phone"] or "", row["email"] or "",
        row["external_sku"] or "", row["product_name"] or "", money(row["line_total_minor"]),
        row["order_payment"], row["order_fulfilment"], money(row["subtotal_minor"]), money(row["shipping_minor"]),
        money(row["tax_minor"]), money(row["discount_minor"]), money(row["total_minor"]),
        money(row["refunded_minor"]), row["deliver_by"] or "", row["address"] or "",
    ]
