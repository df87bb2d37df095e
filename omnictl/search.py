"""Find orders from any channel by what a customer says on the phone, and one customer's view.

A search text is tried as everything it could be, each through an index: an order number
(with or without '#'; exact, then as a prefix), an email or phone (normalised as on import),
a customer code, a SKU or channel SKU, and words of the buyer's name (full-text). Results
are ranked by how exact the match is, then newest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from omnictl.db import Database
from omnictl.errors import NotFound, UsageError
from omnictl.fx import Converter, rates_for
from omnictl.planning.schedule import expected_ship
from omnictl.models import (ChannelTotals, CustomerInfo, CustomerView, OrderSummary, StatusStep)
from omnictl.orders import SUMMARY_SQL, summary
from omnictl.values import email_key, phone_key

DEFAULT_LIMIT = 50
PER_KIND = 500                   # candidates read per kind of match, before ranking
PHONE_TEXT = re.compile(r"[\d\s()+\-./]+")
NAME_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class _Kind:
    rank: int
    label: str


ORDER_NUMBER = _Kind(0, "order number")
CONTACT = _Kind(1, "customer")
NAME = _Kind(2, "name")
ORDER_PREFIX = _Kind(3, "order number prefix")
SKU = _Kind(4, "sku")


def search_orders(db: Database, text: str, *, limit: int | None = DEFAULT_LIMIT) -> list[OrderSummary]:
    """Orders matching `text`, best match first; each says what matched and carries its history."""
    text = text.strip()
    if not text:
        raise UsageError("give something to search for: an order number, name, phone, email or SKU")
    found: dict[int, _Kind] = {}
    for kind, order_ids in _candidates(db, text):
        for order_id in order_ids:
            if order_id not in found or kind.rank < found[order_id].rank:
                found[order_id] = kind
    orders = newest_first(_summaries(db, found))
    orders.sort(key=lambda o: found[o.id].rank)
    orders = orders[:limit] if limit else orders
    for order in orders:
        order.matched = found[order.id].label
    return with_history(db, orders)


def _spellings(text: str) -> list[str]:
    """As typed, upper- and lower-cased: codes are stored as the channel wrote them, and an
    index lookup per spelling keeps `wx-0585` finding WX-0585."""
    return list(dict.fromkeys((text, text.upper(), text.lower())))


def _in(values: list[str]) -> str:
    return f"({', '.join('?' * len(values))})"


def _candidates(db: Database, text: str):
    number = text[1:] if text.startswith("#") else text
    numbers = [n for spelling in _spellings(number) for n in (spelling, f"#{spelling}")]
    yield ORDER_NUMBER, _ids(db, f"SELECT id FROM sales_order WHERE external_id IN {_in(numbers)}", numbers)
    if "@" in text and (key := email_key(text)):
        yield CONTACT, _orders_of_parties(db, "SELECT id FROM party WHERE email_key = ?", (key,))
    if PHONE_TEXT.fullmatch(text) and (key := phone_key(text)):
        yield CONTACT, _orders_of_parties(db, "SELECT id FROM party WHERE phone_key = ?", (key,))
    codes = _spellings(text)
    yield CONTACT, _orders_of_parties(db, f"SELECT party_id FROM customer WHERE code IN {_in(codes)}", codes)
    if match := name_query(text):
        yield NAME, _orders_of_parties(
            db, "SELECT rowid FROM party_name_search WHERE party_name_search MATCH ? ORDER BY rank "
            f"LIMIT {PER_KIND}", (match,))
    if len(number) >= 3:
        for start in (number, f"#{number}"):
            yield ORDER_PREFIX, _ids(db, "SELECT id FROM sales_order WHERE external_id >= ? AND external_id < ? "
                                         f"LIMIT {PER_KIND}", (start, start + "\U0010ffff"))
    for column in ("sku", "external_sku"):         # the latest lines first: the index, read backwards
        yield SKU, _ids(db, f"SELECT DISTINCT order_id FROM (SELECT order_id FROM order_line WHERE {column} IN "
                            f"{_in(codes)} ORDER BY id DESC LIMIT {PER_KIND})", codes)


def name_query(text: str) -> str | None:
    """An FTS5 query: every word of `text`, the last one as a prefix (typing 'wang x' finds Wang Xiu)."""
    words = NAME_WORD.findall(text)
    if not words or all(w.isdigit() for w in words):
        return None
    return " ".join(f'"{w}"' for w in words[:-1]) + (" " if len(words) > 1 else "") + f'"{words[-1]}"*'


def _ids(db: Database, sql: str, params) -> list[int]:
    return [row[0] for row in db.execute(sql, params)]


def _orders_of_parties(db: Database, party_sql: str, params) -> list[int]:
    """Orders of these parties, and of every party that shares their customer."""
    return _ids(db, f"""
        WITH hit(id) AS ({party_sql}),
             buyer(customer_id) AS (SELECT c.id FROM customer c WHERE c.party_id IN (SELECT id FROM hit))
        SELECT id FROM sales_order WHERE party_id IN (SELECT id FROM hit)
        UNION SELECT id FROM sales_order WHERE customer_id IN (SELECT customer_id FROM buyer)
        LIMIT {PER_KIND}""", params)


def _summaries(db: Database, order_ids) -> list[OrderSummary]:
    ids = list(order_ids)
    orders = []
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        orders += map(summary, db.execute(SUMMARY_SQL + f" WHERE o.id IN ({', '.join('?' * len(part))})", part))
    return orders


def newest_first(orders: list[OrderSummary]) -> list[OrderSummary]:
    return sorted(orders, key=lambda o: (o.ordered_on or "", o.ordered_at or "", o.id), reverse=True)


def with_history(db: Database, orders: list[OrderSummary]) -> list[OrderSummary]:
    """Fill each order's status history (created, then every change of its status) and the day
    it can ship by the current production plan, when production serves it."""
    by_id = {order.id: order for order in orders}
    shipping = expected_ship(db, list(by_id))
    for order in orders:
        order.status_history = []
        order.expected_ship_on = shipping.get(order.id)
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        for event in db.execute(
                "SELECT order_id, at, field, new, batch_id FROM order_event WHERE line_id IS NULL AND "
                f"field IN ('created', 'status') AND order_id IN ({', '.join('?' * len(part))}) ORDER BY id", part):
            by_id[event["order_id"]].status_history.append(
                StatusStep(at=event["at"], status=event["new"], batch=event["batch_id"]))
    return orders


# -- one customer ---------------------------------------------------------------------------

def is_open(order: OrderSummary) -> bool:
    """Still to be shipped: not shipped, cancelled or returned, and not refunded before shipping."""
    return order.fulfilment == "open" and order.payment != "refunded"


def customer_view(db: Database, key: str) -> CustomerView:
    """One customer's orders over every channel: found by code, email, phone or (unique) name."""
    parties = _customer_parties(db, key.strip())
    marks = ", ".join("?" * len(parties))
    customers = db.query(f"SELECT c.code, c.tier, c.source, p.name, p.email, p.phone FROM customer c "
                         f"JOIN party p ON p.id = c.party_id WHERE c.party_id IN ({marks}) "
                         "ORDER BY c.source = 'master' DESC, c.id", parties)
    order_ids = _ids(db, f"SELECT id FROM sales_order WHERE party_id IN ({marks}) UNION SELECT id FROM "
                         f"sales_order WHERE customer_id IN (SELECT id FROM customer WHERE party_id IN ({marks}))",
                     parties + parties)
    orders = newest_first(_summaries(db, order_ids))
    orders.sort(key=lambda o: not is_open(o))
    with_history(db, orders)
    main = customers[0] if customers else db.one(f"SELECT NULL AS code, NULL AS tier, name, email, phone "
                                                 f"FROM party WHERE id IN ({marks})", parties)
    info = CustomerInfo(code=main["code"], tier=main["tier"], name=main["name"], email=main["email"],
                        phone=main["phone"], codes=[c["code"] for c in customers],
                        first_order=min((o.ordered_on for o in orders if o.ordered_on), default=None),
                        last_order=max((o.ordered_on for o in orders if o.ordered_on), default=None))
    channels, warnings = _channel_totals(orders, rates_for(db))
    return CustomerView(customer=info, channels=channels, orders=orders, warnings=warnings)


def _customer_parties(db: Database, key: str) -> list[int]:
    """The parties of the customer `key` names, and every party sharing their email or phone."""
    if not key:
        raise UsageError("give a customer code, email, phone or name")
    codes = _spellings(key)
    seeds = _ids(db, f"SELECT party_id FROM customer WHERE code IN {_in(codes)}", codes)
    if not seeds and "@" in key and (k := email_key(key)):
        seeds = _ids(db, "SELECT id FROM party WHERE email_key = ?", (k,))
    if not seeds and PHONE_TEXT.fullmatch(key) and (k := phone_key(key)):
        seeds = _ids(db, "SELECT id FROM party WHERE phone_key = ?", (k,))
    if not seeds and (match := name_query(key)):
        seeds = _one_named_customer(db, key, match)
    if not seeds:
        raise NotFound(f"no customer matches '{key}' (by code, email, phone or name)")
    marks = ", ".join("?" * len(seeds))
    return _ids(db, f"""
        WITH seed AS (SELECT email_key, phone_key FROM party WHERE id IN ({marks}))
        SELECT id FROM party WHERE id IN ({marks})
        UNION SELECT id FROM party WHERE email_key IN (SELECT email_key FROM seed)
        UNION SELECT id FROM party WHERE phone_key IN (SELECT phone_key FROM seed)""", seeds + seeds)


def _one_named_customer(db: Database, key: str, match: str) -> list[int]:
    rows = db.query("SELECT c.code, p.id, p.name FROM party_name_search s JOIN party p ON p.id = s.rowid "
                    "JOIN customer c ON c.party_id = p.id WHERE party_name_search MATCH ? LIMIT 11", (match,))
    if len(rows) > 1:
        shown = ", ".join(f"{r['code']} ({r['name']})" for r in rows[:10])
        raise UsageError(f"'{key}' matches several customers: {shown}{' …' if len(rows) > 10 else ''}; "
                         "give the code, email or phone")
    return [rows[0]["id"]] if rows else []


def _channel_totals(orders: list[OrderSummary], rates: Converter) -> tuple[list[ChannelTotals], list[str]]:
    """Per channel: counts and totals (net of refunds, cancelled orders left out) per currency, and
    in the base currency at each order's date; a channel with any order that cannot be converted
    gets no base total, never a partial one."""
    totals: dict[str, ChannelTotals] = {}
    warnings: dict[str, None] = {}
    for order in orders:
        entry = totals.setdefault(order.channel, ChannelTotals(channel=order.channel, base_currency=rates.base,
                                                               base_total_minor=0 if rates.base else None))
        entry.orders += 1
        entry.open_orders += is_open(order)
        if order.total_minor is None or not order.currency or order.fulfilment == "cancelled":
            continue                                     # a cancelled order was never revenue
        amount = order.total_minor - (order.refunded_minor or 0)
        entry.totals_minor[order.currency] = entry.totals_minor.get(order.currency, 0) + amount
        base, warning = rates.to_base(amount, order.currency, order.ordered_on)
        if warning:
            warnings[warning] = None
        if entry.base_total_minor is not None:
            entry.base_total_minor = None if base is None else entry.base_total_minor + base
    ordered = sorted(totals.values(), key=lambda t: (-t.orders, t.channel))
    return ordered, list(warnings)
