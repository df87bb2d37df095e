"""Material check of production orders and the list of what to buy.

`check_materials`: every planned and released order needs its bought components (BOM lines
whose component has no routing; made components have orders of their own) at its start:
quantity × per unit / (1 − scrap%). Orders take stock in the order they start (the
planned start's date, else the due date; the same day: higher priority first). What an
order can have is on hand, less the open sales demand for that SKU at that location (those
lines were promised first), plus the open purchase lines expected by its start, less what
earlier orders took. The rest is short from the order's start date, and covered on the date
later open purchases make up for it (None: nothing on order covers it; buy).

`replenish`: per bought SKU and location, a suggestion (nothing is written):

    net = production needs + open sales demand + safety stock − on hand − open purchase supply

rounded up to whole units and never below the SKU's minimum order quantity, needed by the
first day the projected stock (on hand, plus purchases as they arrive, less needs as they
fall due) drops below safety stock, to be ordered the SKU's lead time before that.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from datetime import date, timedelta

from omnictl import clock, inventory, settings
from omnictl.db import Database
from omnictl.models import MaterialNeed, MaterialsReport, OrderMaterials, ReplenishLine
from omnictl.planning.bom import Master, home_warehouse, safety_locations, warehouses
from omnictl.planning.estimate import from_iso, local_date
from omnictl.planning.netting import no_gc_pauses

EPS = 1e-6

_ARRIVALS_SQL = """
SELECT pl.sku AS sku, po.location AS location, coalesce(pl.expected_on, po.expected_on) AS day,
       sum(pl.quantity - pl.received) AS quantity
FROM purchase_line pl JOIN purchase_order po ON po.id = pl.po_id
WHERE po.status = 'open' AND pl.received < pl.quantity
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


class _Pool:
    """One bought SKU at one location: what is there, what arrives when, what is taken."""

    __slots__ = ("start", "days", "running", "taken")

    def __init__(self, start: float, arrivals: list[tuple[str, float]]):
        self.start = start
        self.days = [day for day, _ in arrivals]
        self.running = []
        total = start
        for _, quantity in arrivals:
            total += quantity
            self.running.append(total)
        self.taken = 0.0

    def by(self, day: str) -> float:
        """Stock plus everything arrived by the end of `day`."""
        at = bisect_right(self.days, day)
        return self.running[at - 1] if at else self.start

    def covered_on(self, day: str) -> str | None:
        """The first arrival after `day` by which all taken so far is there."""
        for at in range(bisect_right(self.days, day), len(self.days)):
            if self.running[at] >= self.taken - EPS:
                return self.days[at]
        return None


def _arrivals(db: Database) -> dict[tuple[str, str], list[tuple[str, float]]]:
    found: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for r in db.query(_ARRIVALS_SQL):
        found[(r["sku"], r["location"])].append((r["day"], r["quantity"]))
    return found


def _sales_demand(db: Database, bought: set[str], buffer: timedelta, today: date) -> dict[tuple, list]:
    """Open demand for bought SKUs: (due day, quantity) per SKU and location."""
    found: dict[tuple, list] = defaultdict(list)
    for r in inventory.open_demand(db):
        if r["sku"] in bought:
            due = date.fromisoformat(r["ship_by"][:10]) - buffer if r["ship_by"] else today
            found[(r["sku"], r["location"])].append((due.isoformat(), r["quantity"]))
    return found


def _orders(db: Database) -> list:
    rows = db.query("SELECT id, number, sku, location, quantity, status, due_on, planned_start, priority "
                    "FROM production_order WHERE status IN ('planned', 'released')")

    def start_on(row) -> str:
        return local_date(from_iso(row["planned_start"])).isoformat() if row["planned_start"] else row["due_on"]

    return sorted(((start_on(r), r) for r in rows), key=lambda pair: (pair[0], -(pair[1]["priority"] or 0),
                                                                      pair[1]["id"]))


def check_materials(db: Database, master: Master | None = None) -> MaterialsReport:
    """Per planned or released order, its bought components: needed, available by its start, short."""
    with no_gc_pauses():
        return _check(db, master)


def _check(db: Database, master: Master | None) -> MaterialsReport:
    m = master or Master(db)
    today = clock.today()
    buffer = timedelta(days=settings.get(db, "plan.dispatch_buffer_days"))
    bought = {sku for sku in m.skus if sku not in m.routing}
    held = inventory.on_hand(db)
    arrivals = _arrivals(db)
    sales = _sales_demand(db, bought, buffer, today)
    pools: dict[tuple, _Pool] = {}
    report = MaterialsReport()
    for start_on, row in _orders(db):
        lines = m.bought_lines(row["sku"])
        entry = OrderMaterials(id=row["id"], number=row["number"], sku=row["sku"], location=row["location"],
                               quantity=row["quantity"], status=row["status"], start_on=start_on)
        for line in lines:
            key = (line.component, row["location"])
            pool = pools.get(key)
            if pool is None:
                claimed = sum(q for _, q in sales.get(key, ()))
                pool = pools[key] = _Pool(held.get(key, 0.0) - claimed, arrivals.get(key, []))
            needed = line.need(row["quantity"])
            available = max(0.0, pool.by(start_on) - pool.taken)
            short = round(max(0.0, needed - available), 6)
            pool.taken += needed
            entry.materials.append(MaterialNeed(
                component=line.component, location=row["location"], needed=needed,
                available=round(min(available, needed), 6), short=short,
                short_from=start_on if short > EPS else None,
                covered_on=pool.covered_on(start_on) if short > EPS else None))
        report.orders.append(entry)
        shorts = sum(1 for need in entry.materials if need.short > EPS)
        report.short_lines += shorts
        report.short_orders += 1 if shorts else 0
    return report


def replenish(db: Database) -> list[ReplenishLine]:
    """What to buy per bought SKU and location; a suggestion, nothing is written."""
    m = Master(db)
    today = clock.today()
    buffer = timedelta(days=settings.get(db, "plan.dispatch_buffer_days"))
    bought = {sku for sku in m.skus if sku not in m.routing}
    needs: dict[tuple, list[tuple[str, float]]] = defaultdict(list)
    for entry in check_materials(db, m).orders:
        for need in entry.materials:
            needs[(need.component, need.location)].append((entry.start_on, need.needed))
    for key, dated in _sales_demand(db, bought, buffer, today).items():
        needs[key] += dated
    held = inventory.on_hand(db)
    arrivals = _arrivals(db)
    stores, home = warehouses(db), home_warehouse(db)
    present: dict[str, set] = defaultdict(set)
    for sku, location in list(held) + list(arrivals) + list(needs):
        if sku in bought:
            present[sku].add(location)
    pairs = set(needs)
    for sku in bought:
        if m.skus[sku].safety_stock > 0:
            pairs |= {(sku, loc) for loc in safety_locations(present[sku], stores, home)}
    result = []
    for sku, location in sorted(pairs, key=lambda p: (p[0], p[1] or "")):
        info = m.skus[sku]
        key = (sku, location)
        required = round(sum(q for _, q in needs.get(key, ())), 4)   # a sum of needs rounded to 6 places
        safety = info.safety_stock if location in stores else 0.0
        on_hand = held.get(key, 0.0)
        supply = sum(q for _, q in arrivals.get(key, ()))
        net = round(required + safety - on_hand - supply, 4)
        if net <= EPS:
            continue
        need_by = _need_by(on_hand, safety, needs.get(key, []), arrivals.get(key, []), today)
        order_by = need_by - timedelta(days=info.lead_time_days)
        result.append(ReplenishLine(
            sku=sku, location=location, unit=info.unit, required=required, safety_stock=safety, on_hand=on_hand,
            open_supply=supply, net=net, to_buy=max(float(math.ceil(net - EPS)), info.min_order_qty),
            min_order_qty=info.min_order_qty, need_by=need_by.isoformat(), order_by=order_by.isoformat(),
            late=order_by < today))
    return result


def _need_by(on_hand: float, safety: float, needs: list, arrivals: list, today: date) -> date:
    """The first day projected stock falls below safety stock (arrivals of a day count first)."""
    balance = on_hand
    if balance < safety - EPS:
        return today
    change: dict[str, float] = defaultdict(float)
    for day, quantity in arrivals:
        change[day] += quantity
    for day, quantity in needs:
        change[day] -= quantity
    for day in sorted(change):
        balance += change[day]
        if balance < safety - EPS:
            return max(date.fromisoformat(day), today)
    return today
