"""The stock ledger: append-only moves, balances derived from them, and what orders post.

On hand is the sum of moves (kept per SKU and location in `stock_balance` by a trigger, and
re-derived by `db check`). Reserved is derived from open order lines, open supply from open
purchase lines; available-to-promise (ATP) is on hand minus reserved.

Orders drive stock by one rule, applied to every line an import, a mapping or an undo
touches: post the difference between what the line should have moved and what it has.
A shipped or delivered line should have moved -quantity (per component for a kit) at its
channel's fulfilment location; a returned line 0 (its sale and its return), or +quantity
for a return rung up on its own (negative quantity at a till); anything else 0. So a
re-import posts nothing, a late mapping posts with the line's own time, and a return or a
correction is a new move.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Iterable, Iterator

from omnictl import clock
from omnictl.db import Database
from omnictl.errors import NotFound, UsageError
from omnictl.models import MoveInfo, MoveTrace, StockPosition, StockSync

MOVE_KINDS = ("opening", "receipt", "sale", "return", "transfer", "adjustment", "count", "consume", "produce",
              "scrap")
SOLD = ("shipped", "delivered")
CHUNK = 500


@dataclass(slots=True)
class Move:
    sku: str
    location: str
    quantity: float
    kind: str
    effective_at: str
    reason: str | None = None
    order_line_id: int | None = None
    batch_id: int | None = None
    source_row: int | None = None
    count_id: int | None = None
    ref: str | None = None


_INSERT = ("INSERT INTO stock_move (effective_at, recorded_at, sku, location, quantity, kind, reason, actor, "
           "order_line_id, batch_id, source_row, count_id, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def post(db: Database, moves: Iterable[Move], actor: str) -> int:
    """Append moves inside the caller's transaction; a zero quantity is no move. Returns how many."""
    now = clock.utc_now_iso()
    rows = [(m.effective_at, now, m.sku, m.location, m.quantity, m.kind, m.reason, actor, m.order_line_id,
             m.batch_id, m.source_row, m.count_id, m.ref) for m in moves if abs(m.quantity) > 1e-9]
    db.conn.executemany(_INSERT, rows)
    return len(rows)


def instant(text: str | None) -> str | None:
    """A stored time as a UTC instant: `...Z` stays; a bare date is its start in company time."""
    if not text:
        return None
    if "T" in text:
        return text
    start = datetime.combine(date.fromisoformat(text), time(0), tzinfo=clock.zone())
    return clock.to_utc_iso(start)


def check_time(text: str | None, option: str) -> str | None:
    """A user's `--as-of` / `--at`: a date (end of that day, company time) or a date and time."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} '{text}' is not a date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    if len(text) == 10:
        value = datetime.combine(value.date(), time(23, 59, 59), tzinfo=clock.zone())
    elif value.tzinfo is None:
        value = value.replace(tzinfo=clock.zone())
    return clock.to_utc_iso(value)


# -- orders post sales and returns ----------------------------------------------------------

_LINES_SQL = """
SELECT l.id, l.quantity, l.fulfilment, l.mapping, l.sku, l.external_sku, l.shipped_at, o.channel,
       o.ordered_at, o.ordered_on, ch.location
FROM order_line l JOIN sales_order o ON o.id = l.order_id JOIN channel ch ON ch.code = o.channel
WHERE l.id IN ({marks})
"""


def sync_order_stock(db: Database, line_ids: Iterable[int], actor: str, batch_id: int | None = None) -> StockSync:
    """Post, for each line, what it should have moved minus what it has (inside a transaction)."""
    result, no_location = StockSync(), set()
    ids = sorted(set(line_ids))
    components = _Components(db)
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        marks = ", ".join("?" * len(part))
        lines = {row["id"]: row for row in db.query(_LINES_SQL.format(marks=marks), part)}
        posted: dict[int, dict[tuple[str, str], float]] = {}
        for row in db.query(f"SELECT order_line_id, sku, location, sum(quantity) AS q FROM stock_move "
                            f"WHERE order_line_id IN ({marks}) GROUP BY 1, 2, 3", part):
            posted.setdefault(row["order_line_id"], {})[(row["sku"], row["location"])] = row["q"]
        moves = []
        for line_id in part:
            line = lines.get(line_id)
            if line is not None and line["mapping"] != "unmapped" and line["location"] is None:
                no_location.add(line["channel"])
            wanted = _should_have_moved(line, components) if line is not None else {}
            had = posted.get(line_id, {})
            for key in wanted.keys() | had.keys():
                delta = wanted.get(key, 0.0) - had.get(key, 0.0)
                if abs(delta) > 1e-9:
                    moves.append(_order_move(line, line_id, key, delta, batch_id))
        result.moves += post(db, moves, actor)
    result.no_location_channels = sorted(no_location)
    return result


def _should_have_moved(line, components: "_Components") -> dict[tuple[str, str], float]:
    if line["location"] is None or line["mapping"] == "unmapped":
        return {}
    quantity, state = line["quantity"], line["fulfilment"]
    if state in SOLD:
        units = -quantity
    elif state == "returned" and quantity < 0:
        units = -quantity                 # a return rung up on its own: goods come back
    else:
        return {}                         # open, cancelled, or sold and returned: nets to nothing
    wanted: dict[tuple[str, str], float] = {}
    for sku, factor in components.of(line):
        wanted[(sku, line["location"])] = wanted.get((sku, line["location"]), 0.0) + units * factor
    return wanted


def _order_move(line, line_id: int, key: tuple[str, str], delta: float, batch_id: int | None) -> Move:
    sku, location = key
    if line is None:
        return Move(sku, location, delta, "sale", clock.utc_now_iso(), reason="order line removed (batch undone)",
                    order_line_id=line_id, batch_id=batch_id)
    state = line["fulfilment"]
    if delta > 0 and state == "returned":
        return Move(sku, location, delta, "return", clock.utc_now_iso(), reason="returned and received",
                    order_line_id=line_id, batch_id=batch_id)
    if delta > 0:
        return Move(sku, location, delta, "sale", clock.utc_now_iso(), reason=f"sale reversed: line is {state}",
                    order_line_id=line_id, batch_id=batch_id)
    when = instant(line["shipped_at"]) or line["ordered_at"] or instant(line["ordered_on"]) or clock.utc_now_iso()
    return Move(sku, location, delta, "sale", when, reason=f"{line['channel']} line {state}",
                order_line_id=line_id, batch_id=batch_id)


class _Components:
    """What one unit of a line is in master SKUs: itself, an alias times its factor, or a kit."""

    def __init__(self, db: Database):
        self.db = db
        self.cache: dict[tuple[str, str], list[tuple[str, float]]] = {}

    def of(self, line) -> list[tuple[str, float]]:
        if line["mapping"] == "sku":
            return [(line["sku"], 1.0)]
        key = (line["channel"], line["external_sku"])
        if key not in self.cache:
            self.cache[key] = [(r["sku"], r["factor"]) for r in self.db.query(
                "SELECT sku, factor FROM sku_alias WHERE channel = ? AND external_sku = ? ORDER BY sku", key)]
        return self.cache[key]


# -- positions ------------------------------------------------------------------------------

# Open demand per component and location: open, mapped lines, paid where the channel
# reserves only paid orders, not refunded. Reads open lines through their partial index.
# `reserved` sums it; planning (`open_demand`) reads it line by line.
_OPEN_DEMAND_FROM = """
    FROM order_line l INDEXED BY order_line_open
    JOIN sales_order o ON o.id = l.order_id
    JOIN channel ch ON ch.code = o.channel
    LEFT JOIN sku_alias a ON l.mapping IN ('alias', 'kit') AND a.channel = o.channel
                          AND a.external_sku = l.external_sku
    WHERE l.fulfilment = 'open' AND l.mapping != 'unmapped' AND l.quantity > 0 AND l.payment != 'refunded'
      AND ch.location IS NOT NULL AND (ch.reserve_unpaid = 1 OR l.payment IN ('paid', 'partly_refunded'))"""

_RESERVED_SQL = f"""
SELECT * FROM (
    SELECT CASE WHEN l.mapping = 'sku' THEN l.sku ELSE a.sku END AS sku, ch.location AS location,
           sum(l.quantity * CASE WHEN l.mapping = 'sku' THEN 1 ELSE a.factor END) AS reserved
    {_OPEN_DEMAND_FROM}
    GROUP BY 1, 2)
WHERE sku IS NOT NULL {{filters}}
"""

_OPEN_DEMAND_SQL = f"""
SELECT * FROM (
    SELECT l.id AS line_id, l.order_id AS order_id,
           CASE WHEN l.mapping = 'sku' THEN l.sku ELSE a.sku END AS sku, ch.location AS location,
           l.quantity * CASE WHEN l.mapping = 'sku' THEN 1 ELSE a.factor END AS quantity,
           CASE WHEN l.mapping = 'sku' THEN 1 ELSE a.factor END AS factor, l.mapping AS mapping,
           o.promised_ship_by AS ship_by
    {_OPEN_DEMAND_FROM})
WHERE sku IS NOT NULL
"""

_SUPPLY_SQL = """
SELECT pl.sku AS sku, po.location AS location, sum(pl.quantity - pl.received) AS supply,
       min(coalesce(pl.expected_on, po.expected_on)) AS next_on
FROM purchase_line pl JOIN purchase_order po ON po.id = pl.po_id
WHERE po.status = 'open' AND pl.received < pl.quantity {filters}
GROUP BY 1, 2
"""


def _filters(sku: str | None, location: str | None, sku_column: str = "sku",
             location_column: str = "location") -> tuple[str, list]:
    sql, params = "", []
    if sku:
        sql += f" AND {sku_column} = ?"
        params.append(sku)
    if location:
        sql += f" AND {location_column} = ?"
        params.append(location)
    return sql, params


def reserved(db: Database, sku: str | None = None, location: str | None = None) -> dict[tuple[str, str], float]:
    filters, params = _filters(sku, location)
    return {(r["sku"], r["location"]): r["reserved"]
            for r in db.query(_RESERVED_SQL.format(filters=filters), params)}


def open_demand(db: Database) -> list:
    """The open demand `reserved` sums, one row per line and component: line_id, order_id,
    sku, location, quantity (line quantity × factor), factor, mapping, ship_by."""
    return db.query(_OPEN_DEMAND_SQL)


# Demand history per component, day and location: every line but cancelled ones, returns
# rung up on their own (negative quantity) netted, a line sold and returned left out (its sale
# and its return net to nothing). sku NULL = unmapped (or an alias without a master SKU).
_DEMAND_HISTORY_SQL = """
SELECT o.ordered_on AS day, ch.location AS location,
       CASE WHEN l.mapping = 'sku' THEN l.sku ELSE a.sku END AS sku,
       sum(l.quantity * CASE WHEN l.mapping = 'sku' THEN 1 ELSE coalesce(a.factor, 1) END) AS quantity,
       count(DISTINCT l.id) AS lines
FROM order_line l
JOIN sales_order o ON o.id = l.order_id
JOIN channel ch ON ch.code = o.channel
LEFT JOIN sku_alias a ON l.mapping IN ('alias', 'kit') AND a.channel = o.channel AND a.external_sku = l.external_sku
WHERE l.fulfilment != 'cancelled' AND NOT (l.fulfilment = 'returned' AND l.quantity > 0)
  AND o.ordered_on IS NOT NULL AND o.ordered_on <= ? {filters}
GROUP BY 1, 2, 3
"""


def demand_history(db: Database, until: str, *, channel: str | None = None, sku: str | None = None) -> list:
    """Demand per order day (company timezone), location and master SKU up to `until`
    (inclusive): rows day, location, sku (None: unmapped), quantity, lines. With `sku`, only the
    lines that can carry it (by their SKU, or a kit holding it), read through the indexes; the
    rows of a kit's other components come along."""
    filters, params = ("AND o.channel = ?", [channel]) if channel else ("", [])
    if sku:
        filters += (" AND l.id IN (SELECT id FROM order_line WHERE sku = ? UNION ALL SELECT k.id FROM order_line k "
                    "JOIN sku_alias ka ON ka.external_sku = k.external_sku WHERE ka.sku = ? AND k.mapping = 'kit')")
        params += [sku, sku]
    return db.query(_DEMAND_HISTORY_SQL.format(filters=filters), [until, *params])


def open_supply(db: Database, sku: str | None = None,
                location: str | None = None) -> dict[tuple[str, str], tuple[float, str | None]]:
    filters, params = _filters(sku, location, "pl.sku", "po.location")
    return {(r["sku"], r["location"]): (r["supply"], r["next_on"])
            for r in db.query(_SUPPLY_SQL.format(filters=filters), params)}


def on_hand(db: Database, sku: str | None = None, location: str | None = None,
            as_of: str | None = None) -> dict[tuple[str, str], float]:
    """On hand per SKU and location, now (the balance table) or at `as_of` (the covering index)."""
    where, params = [], []
    if sku:
        where.append("sku = ?")
        params.append(sku)
    if location:
        where.append("location = ?")
        params.append(location)
    if as_of is None:
        sql = "SELECT sku, location, on_hand AS q FROM stock_balance"
    else:
        where.append("effective_at <= ?")
        params.append(as_of)
        sql = "SELECT sku, location, sum(quantity) AS q FROM stock_move INDEXED BY stock_move_position"
    sql += (" WHERE " + " AND ".join(where) if where else "") + ("" if as_of is None else " GROUP BY sku, location")
    sql += " ORDER BY sku, location"            # the order both sources are stored in: no sort
    cursor = db.conn.cursor()
    cursor.row_factory = None                  # plain tuples: this reads one row per SKU and location
    return {(sku_, location_): q for sku_, location_, q in cursor.execute(sql, params)}


def positions(db: Database, *, sku: str | None = None, location: str | None = None, short: bool = False,
              as_of: str | None = None) -> list[StockPosition]:
    """Per SKU and location: on hand, reserved, ATP, open supply, projected; `short`: only
    oversold (ATP < 0) or at risk (ATP below the SKU's safety stock, which is held in
    warehouses: a store is replenished from them, so it is never at risk by safety stock)."""
    if sku and db.one("SELECT 1 FROM sku WHERE code = ?", (sku,)) is None:
        raise NotFound(f"no master SKU '{sku}'")
    if location and db.one("SELECT 1 FROM location WHERE code = ?", (location,)) is None:
        raise NotFound(f"no location '{location}'; `omnictl master import locations FILE` adds them")
    as_of = check_time(as_of, "--as-of")
    held = on_hand(db, sku, location, as_of)
    held_back = reserved(db, sku, location)
    supply = open_supply(db, sku, location)
    safety = {r["code"]: r["safety_stock"] for r in db.query(
        "SELECT code, safety_stock FROM sku WHERE safety_stock != 0" + (" AND code = ?" if sku else ""),
        (sku,) if sku else ())}
    warehouses = {r[0] for r in db.execute("SELECT code FROM location WHERE kind = 'warehouse'")}
    extra = sorted((held_back.keys() | supply.keys()) - held.keys())
    keys = heapq.merge(held, extra) if extra else held       # `held` is already in key order
    result = []
    for key in keys:
        position = _position(key, held.get(key, 0.0), held_back.get(key, 0.0), supply.get(key, (0.0, None)),
                             safety.get(key[0], 0.0) if key[1] in warehouses else 0.0)
        if not short or position.status != "ok":
            result.append(position)
    return result


def _position(key, held: float, held_back: float, supply: tuple[float, str | None], safety: float) -> StockPosition:
    atp = held - held_back
    status = "oversold" if atp < 0 else "at risk" if atp < safety else "ok"
    return StockPosition(key[0], key[1], held, held_back, atp, supply[0], supply[1], atp + supply[0], safety,
                         status)


# -- the trail ------------------------------------------------------------------------------

def list_moves(db: Database, sku: str, *, location: str | None = None, since: str | None = None,
               limit: int | None = None, last: int | None = None) -> Iterator[MoveInfo]:
    """A SKU's moves in effective order, each with the running on-hand at its location; the
    first `limit` of them, or the `last` ones (a best seller has tens of thousands)."""
    if db.one("SELECT 1 FROM sku WHERE code = ?", (sku,)) is None:
        raise NotFound(f"no master SKU '{sku}'")
    since = check_time(since, "--since") if since and len(since) > 10 else \
        (instant(since) if since else None)
    where, params = ["sku = ?"], [sku]
    if location:
        where.append("location = ?")
        params.append(location)
    sql = (f"SELECT *, sum(quantity) OVER (PARTITION BY location ORDER BY effective_at, id) AS balance "
           f"FROM stock_move WHERE {' AND '.join(where)}")
    if since:
        sql = f"SELECT * FROM ({sql}) WHERE effective_at >= ?"
        params.append(since)
    if last:
        sql = f"SELECT * FROM ({sql}) ORDER BY effective_at DESC, id DESC LIMIT {int(last)}"
        return map(_move_info, reversed(db.query(sql, params)))
    sql += " ORDER BY effective_at, id" + (f" LIMIT {int(limit)}" if limit else "")
    return map(_move_info, db.execute(sql, params))


def _move_info(row) -> MoveInfo:
    return MoveInfo(id=row["id"], effective_at=row["effective_at"], recorded_at=row["recorded_at"],
                    sku=row["sku"], location=row["location"], quantity=row["quantity"], kind=row["kind"],
                    reason=row["reason"], actor=row["actor"], order_line_id=row["order_line_id"],
                    batch=row["batch_id"], source_row=row["source_row"], count=row["count_id"], ref=row["ref"],
                    balance=row["balance"] if "balance" in row.keys() else None)


def why(db: Database, move_id: int) -> MoveTrace:
    """A move traced to what caused it: the order line, the import batch's file and row, the count."""
    row = db.one("SELECT * FROM stock_move WHERE id = ?", (move_id,))
    if row is None:
        raise NotFound(f"no stock move {move_id}")
    trace = MoveTrace(move=_move_info(row))
    if row["order_line_id"] is not None:
        line = db.one("SELECT l.line_key, l.last_batch_id, l.source_row, l.fulfilment, o.channel, o.external_id "
                      "FROM order_line l JOIN sales_order o ON o.id = l.order_id WHERE l.id = ?",
                      (row["order_line_id"],))
        if line is None:
            trace.cause = f"order line {row['order_line_id']}, since removed by an undone import"
        else:
            trace.order = f"{line['channel']} {line['external_id']}"
            trace.cause = (f"order {line['channel']} {line['external_id']} line {line['line_key']} "
                           f"({line['fulfilment']})")
            trace.batch, trace.row = line["last_batch_id"], line["source_row"]
    if row["batch_id"] is not None:
        trace.batch = row["batch_id"]
        trace.row = row["source_row"] if row["source_row"] is not None else trace.row
    if trace.batch is not None:
        batch = db.one("SELECT file_name, sha256, kind, started_at FROM import_batch WHERE id = ?", (trace.batch,))
        if batch is not None:
            trace.file, trace.sha256 = batch["file_name"], batch["sha256"]
            trace.cause = trace.cause or f"{batch['kind']} import of {batch['file_name']}"
    if row["count_id"] is not None:
        count = db.one("SELECT * FROM stock_count WHERE id = ?", (row["count_id"],))
        trace.file, trace.sha256 = count["file_name"], count["sha256"]
        trace.row = row["source_row"] if row["source_row"] is not None else trace.row
        trace.cause = (f"{count['kind']} {count['id']} of {count['file_name']} at {count['counted_at']}, "
                       f"applied by {count['applied_by']}: {count['reason'] or ''}".rstrip(": "))
    if trace.cause is None:
        trace.cause = f"{row['kind']} by {row['actor']}" + (f": {row['reason']}" if row["reason"] else "")
    return trace
