"""Demand to production orders: net per SKU and location, level by level down the BOMs.

Per made SKU (one with a routing) and location, DESIGN.md's rule:

    net requirement = open unshipped demand + safety stock − on hand − open supply

- Open demand is what `omnictl stock` reserves (`inventory.open_demand`): open, mapped
  lines at their channel's fulfilment location, kits and aliases as their components times
  the factor. A line's due date is its order's promised ship-by minus
  `plan.dispatch_buffer_days` (today when it has no ship-by); lines due beyond
  `plan.horizon_days` are left for a later run.
- Make-to-stock SKUs (`make_to_stock` = 1) also have forecast demand within the horizon: the
  latest stored day forecast (the consensus where sales gave one; `omnictl.forecast.demand`)
  at the location of its split (else the home warehouse), consumed week by week by the open
  lines due that week (demand = max(forecast, open orders), so a line the forecast foresaw
  is not counted twice). What the lines leave of a week's forecast is one need due on the
  week's first day (today in the current week), served after the week's lines; the part of
  an order's quantity that serves it is kept as `forecast_quantity` (`plan explain`). An
  order serving only forecast is of reason `stock` and is matched on re-planning like an
  order of the same due date (so when lines consume its forecast it becomes their order,
  same number). Make-to-order SKUs have no forecast demand.
- Open supply is open purchase lines plus released and started production orders.
- Safety stock counts at warehouses (as in `omnictl stock`), where the SKU has stock,
  supply or demand, else at the home warehouse (the one most channels ship from).
- Stock and supply above safety stock cover the earliest-due needs first; what is left
  uncovered is planned: one order per SKU, location and due date, pegged to the sales lines
  it serves (`production_peg`), made in whole units and never below the SKU's
  `min_order_qty` (the surplus covers later needs). A gap below safety stock left after
  that is one order of reason `stock`, due today + the SKU's lead time.
- Each planned order's made components (BOM lines whose component has a routing) need
  quantity × per unit / (1 − scrap%) by the order's estimated start: they are netted the
  same way at their low-level code, after every parent, one `component` order per parent
  order served (`parent_id`), due on the parent's start. Bought components are left to
  `plan materials` and `replenish`. Released orders' components are needed too; started
  orders are taken to have their materials.
- Operations come from the routing (setup + run × quantity); the start is estimated
  backwards from the end of the due day (a component's: the parent's start) through each
  work center's calendar (`planning.estimate`), with infinite capacity. An order that
  re-planning does not change keeps its dates (the scheduler's, once it has run).

Re-planning is idempotent: existing planned orders are matched to what is needed (same
SKU, location, reason and due date, or parent; then the rest by date) and resized,
re-pegged or re-dated; planned orders no longer needed are cancelled (kept, with status
`cancelled`). Released, started and done orders are never changed. One transaction; a dry
run rolls it back and reports what would have been done.
"""

from __future__ import annotations

import gc
import json
import math
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

from omnictl import clock, fx, inventory, settings
from omnictl.db import Database
from omnictl.models import PlanResult, PriorityParts, ProductionOrderInfo, ServedLine
from omnictl.planning import priority as P
from omnictl.planning.bom import Master, home_warehouse, safety_locations, warehouses
from omnictl.planning.estimate import Days, WorkTime, end_of_day, from_iso, to_iso

EPS = 1e-6


def whole_units(quantity: float) -> float:
    """A made quantity rounded up to whole units (float noise below 1e-6 is not a unit)."""
    return float(math.ceil(quantity - EPS))


@dataclass(slots=True)
class Need:
    due: date
    order: tuple                      # after the due date: by when (a parent's start), lines first, id
    quantity: float
    line_id: int | None = None
    parent: "Order | None" = None
    forecast: bool = False            # forecast demand the open lines did not consume


@dataclass(slots=True)
class Order:
    """A production order of this run: one to write (planned) or one kept (released, started)."""
    sku: str
    location: str | None
    reason: str
    due: date
    quantity: float
    latest_end: float                 # POSIX seconds: the latest it may end
    pegs: dict[int, float] = field(default_factory=dict)
    parent: "Order | None" = None
    status: str = "planned"
    id: int | None = None
    number: str | None = None
    row: object = None                # the existing planned order it became
    change: str | None = None
    planned_start: str | None = None
    planned_end: str | None = None
    start_at: float | None = None              # the estimated start (POSIX seconds), as computed this run
    priority: float | None = None
    parts: PriorityParts | None = None
    parts_json: str | None = None
    handed_down: tuple | None = None          # (tier, margin) its component orders carry
    tier: P.Part | None = None
    margin: P.Part | None = None
    forecast_quantity: float = 0.0            # the part serving forecast demand (make-to-stock)

    @property
    def parent_id(self) -> int | None:
        return self.parent.id if self.parent is not None else None

    def key(self) -> tuple:
        if self.reason == "order" or self.forecast_quantity > EPS:     # forecast orders become line orders
            return ("order", self.due.isoformat())
        if self.reason == "component":
            return ("component", self.parent_id)
        return ("stock",)


class _DryRun(Exception):
    def __init__(self, result: PlanResult):
        self.result = result


@contextmanager
def no_gc_pauses():
    """Python's cyclic collector off for one planning run: a plan allocates some millions of
    small objects and no cycles, and the collector's passes over them cost a third of the run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def plan_orders(db: Database, *, dry_run: bool = False) -> PlanResult:
    """Create, resize, re-peg, re-date or cancel planned production orders to meet demand."""
    try:
        with no_gc_pauses(), db.write():
            result = _Planner(db).run()
            if dry_run:
                raise _DryRun(result)
    except _DryRun as stop:
        result = stop.result
        result.dry_run = True
    return result


def row_key(row) -> tuple:
    if row["reason"] == "order" or row["forecast_quantity"] > EPS:
        return ("order", row["due_on"])
    if row["reason"] == "component":
        return ("component", row["parent_id"])
    return ("stock",)


class _Planner:
    def __init__(self, db: Database):
        self.db = db
        self.m = Master(db)
        self.today = clock.today()
        self.buffer = timedelta(days=settings.get(db, "plan.dispatch_buffer_days"))
        self.weights = P.Weights.from_settings(db)
        self.limit = self.today + timedelta(days=self.weights.horizon_days)
        self.calendars = WorkTime(db)
        self.days = Days(self.today)
        self.now = clock.utc_now_iso()
        self.converter = fx.rates_for(db)
        self.base = self.converter.base
        self.result = PlanResult()
        self.fx_warnings: set[str] = set()
        self.unmatched: list = []                   # existing planned orders no longer needed
        self._ends: dict[date, float] = {}
        self._urgency: dict[int, P.Part] = {}
        self.scorer = P.Scorer(self.weights)

    # -- reading --------------------------------------------------------------------------

    def _load(self) -> None:
        db, m = self.db, self.m
        self.held = inventory.on_hand(db)
        self.supply: dict[tuple, float] = defaultdict(float)
        for key, (quantity, _next) in inventory.open_supply(db).items():
            self.supply[key] += quantity
        self.existing: dict[tuple, list] = defaultdict(list)        # planned orders by (sku, location)
        self.kept: dict[str, list[Order]] = defaultdict(list)       # released / started by SKU
        for row in db.query("SELECT id, number, sku, location, quantity, due_on, status, reason, parent_id, "
                            "planned_start, planned_end, priority, forecast_quantity, CASE WHEN status = 'planned' THEN NULL "
                            "ELSE priority_parts END AS priority_parts FROM production_order "
                            "WHERE status IN ('planned', 'released', 'started') ORDER BY id"):
            if row["status"] == "planned":
                self.existing[(row["sku"], row["location"])].append(row)
                continue
            self.supply[(row["sku"], row["location"])] += row["quantity"]
            order = Order(row["sku"], row["location"], row["reason"], date.fromisoformat(row["due_on"]),
                          row["quantity"], end_of_day(date.fromisoformat(row["due_on"])), status=row["status"],
                          id=row["id"], number=row["number"], planned_start=row["planned_start"],
                          planned_end=row["planned_end"])
            if row["priority_parts"]:               # a component order of it inherits tier and margin
                parts = json.loads(row["priority_parts"])
                order.tier = P.Part(parts["tier"]["value"], parts["tier"]["basis"])
                order.margin = P.Part(parts["margin"]["value"], parts["margin"]["basis"])
            self.kept[row["sku"]].append(order)
        self.result.kept = sum(len(v) for v in self.kept.values())
        self.old_pegs: dict[int, dict[int, float]] = defaultdict(dict)
        for r in db.query("SELECT p.production_id, p.order_line_id, p.quantity FROM production_peg p "
                          "JOIN production_order o ON o.id = p.production_id "
                          "WHERE o.status IN ('planned', 'released', 'started')"):
            self.old_pegs[r[0]][r[1]] = r[2]
        for kept in self.kept.values():
            for order in kept:
                order.pegs = self.old_pegs.get(order.id, {})
        self.old_ops: dict[int, list[tuple]] = defaultdict(list)
        for r in db.query("SELECT op.production_id, op.seq, op.work_center, op.name, op.setup_min, op.run_min "
                          "FROM operation op JOIN production_order o ON o.id = op.production_id "
                          "WHERE o.status = 'planned' ORDER BY op.production_id, op.seq"):
            self.old_ops[r[0]].append((r[1], r[2], r[3], r[4], r[5]))
        # open demand, line by line
        self.needs: dict[tuple, list[Need]] = defaultdict(list)
        self.line_units: dict[tuple[int, str], tuple[str, float]] = {}   # (line, sku) → (mapping, factor)
        bought_finished, beyond = set(), 0
        for r in inventory.open_demand(db):
            sku = r["sku"]
            if sku not in m.routing:
                info = m.skus.get(sku)
                if info is not None and info.kind == "finished":
                    bought_finished.add(sku)
                continue
            due = date.fromisoformat(r["ship_by"][:10]) - self.buffer if r["ship_by"] else self.today
            if due > self.limit:
                beyond += 1
                continue
            self.needs[(sku, r["location"])].append(Need(due, (self._end_of(due), 0, r["line_id"]), r["quantity"],
                                                          line_id=r["line_id"]))
            self.line_units[(r["line_id"], sku)] = (r["mapping"], r["factor"])
        self.warehouses = warehouses(db)
        self.home = home_warehouse(db)
        self._forecast_needs()
        if bought_finished:
            names = sorted(bought_finished)
            self.result.notes.append(
                f"{len(names)} finished SKU(s) with open demand have no routing, so they are bought, not made "
                f"(`omnictl replenish` lists what to buy): {', '.join(names[:5])}{' …' if len(names) > 5 else ''}")
        if beyond:
            self.result.notes.append(f"{beyond} open line(s) due beyond the {self.weights.horizon_days}-day horizon "
                                     "(plan.horizon_days) are left for a later run")

    def _forecast_needs(self) -> None:
        """Make-to-stock SKUs: the forecast the open lines leave, week by week, as needs."""
        from omnictl.forecast.demand import consume, latest_daily

        mts = sorted(sku for sku in self.m.routing if self.m.skus[sku].make_to_stock)
        if not mts:
            return
        forecasts = latest_daily(self.db)
        days = [self.today + timedelta(days=i) for i in range((self.limit - self.today).days + 1)]
        unforecast, planned = [], 0
        for sku in mts:
            entry = forecasts.get(sku)
            if entry is None:
                unforecast.append(sku)
                continue
            locations = [loc for loc in entry.series if loc is not None] or ([None] if self.home else [])
            for loc in locations:
                location = loc if loc is not None else self.home
                orders: dict[date, float] = defaultdict(float)
                for n in self.needs.get((sku, location), ()):
                    orders[n.due] += n.quantity
                for period in consume(self.today, entry.days(loc, days), orders):
                    if period.from_forecast > EPS:
                        self.needs[(sku, location)].append(
                            Need(period.start, (self._end_of(period.start), 0, 1 << 62), period.from_forecast,
                                 forecast=True))
            planned += 1
        if planned:
            self.result.notes.append(f"{planned} make-to-stock SKU(s) planned from the forecast, consumed by "
                                     "open orders week by week")
        if unforecast:
            self.result.notes.append(
                f"{len(unforecast)} make-to-stock SKU(s) have no stored day forecast, so only their open orders and "
                f"safety stock are planned (omnictl forecast run --bucket day): {', '.join(unforecast[:5])}"
                f"{' …' if len(unforecast) > 5 else ''}")

    def _end_of(self, day: date) -> float:
        found = self._ends.get(day)
        if found is None:
            found = self._ends[day] = end_of_day(day)
        return found

    def _lines(self, line_ids: set[int]) -> dict[int, object]:
        """Channel, order, price and customer tier of the open lines served."""
        if not line_ids:
            return {}
        rows = self.db.query(
            "SELECT l.id, l.line_key, l.quantity, l.unit_price_minor, l.line_total_minor, o.channel, o.external_id, "
            "o.currency, o.ordered_on, o.promised_ship_by, c.tier FROM order_line l INDEXED BY order_line_open "
            "JOIN sales_order o ON o.id = l.order_id LEFT JOIN customer c ON c.id = o.customer_id "
            "WHERE l.fulfilment = 'open'")
        return {r["id"]: r for r in rows if r["id"] in line_ids}

    # -- the run --------------------------------------------------------------------------

    def run(self) -> PlanResult:
        self._load()
        m = self.m
        self.next_id = (self.db.scalar("SELECT max(id) FROM production_order") or 0) + 1
        self.next_number = (self.db.scalar("SELECT max(CAST(substr(number, 4) AS INTEGER)) FROM production_order "
                                           "WHERE number LIKE 'MO-%'") or 0) + 1
        self.line_info = self._lines({n.line_id for needs in self.needs.values() for n in needs}
                                     | {line for kept in self.kept.values() for o in kept for line in o.pegs})
        presence: dict[str, set] = defaultdict(set)
        for source in (self.held, self.supply, self.needs, self.existing):
            for sku, location in source:
                presence[sku].add(location)
        dependent: dict[tuple, list[Need]] = defaultdict(list)
        planned: list[Order] = []
        for level in sorted({m.level_of(sku) for sku in m.routing}):
            skus = {sku for sku in m.routing if m.level_of(sku) == level}
            pairs = {pair for pair in self.needs if pair[0] in skus} | {pair for pair in dependent if pair[0] in skus}
            for sku, location in list(pairs):
                presence[sku].add(location)
            for sku in skus:
                info = m.skus.get(sku)
                if info is not None and info.safety_stock > 0:
                    pairs |= {(sku, loc) for loc in safety_locations(presence[sku], self.warehouses, self.home)}
            orders: list[Order] = []
            for pair in sorted(pairs, key=lambda p: (p[0], p[1] or "")):
                wanted = self._net(pair, self.needs.get(pair, []) + dependent.get(pair, []))
                self._match(wanted, self.existing.pop(pair, []))
                orders += wanted
            self._write(orders)
            planned += orders
            for parent in orders + [o for sku in sorted(skus) for o in self.kept.get(sku, ()) if o.status == "released"]:
                start = self._start_of(parent)
                for line in m.bom.get(parent.sku, ()):
                    if line.component in m.routing:
                        dependent[(line.component, parent.location)].append(
                            Need(self.days.of(start), (start, 1, parent.id or 0), line.need(parent.quantity),
                                 parent=parent))
        cancelled = [row for rows in self.existing.values() for row in rows] + self.unmatched
        self._cancel(cancelled)
        result = self.result
        changes = Counter(order.change for order in planned)
        result.created, result.resized = changes["created"], changes["resized"]
        result.updated, result.unchanged = changes["updated"], changes["unchanged"]
        result.cancelled = len(cancelled)
        result.orders = [self._info(o) for o in planned] + [_cancelled_info(r) for r in cancelled]
        if self.fx_warnings:
            result.notes += sorted(self.fx_warnings)[:5]
        return result

    def _net(self, pair: tuple, needs: list[Need]) -> list[Order]:
        sku, location = pair
        info = self.m.skus[sku]
        available = self.held.get(pair, 0.0) + self.supply.get(pair, 0.0)
        safety = info.safety_stock if location in self.warehouses else 0.0
        free, gap = max(0.0, available - safety), max(0.0, safety - available)
        needs.sort(key=lambda n: (n.due, n.order))
        orders = []

        def bucket(n: Need):
            return (n.due, 0) if n.parent is None else (n.due, 1, n.order)

        for _, group in groupby(needs, key=bucket):
            pegs: dict[int, float] = {}
            short, forecast, parent, due = 0.0, 0.0, None, None
            for n in group:
                take = min(free, n.quantity)
                free -= take
                rest = n.quantity - take
                due = n.due
                if rest > EPS:
                    short += rest
                    if n.parent is not None:
                        parent = n.parent
                    elif n.forecast:
                        forecast += rest
                    else:
                        pegs[n.line_id] = round(pegs.get(n.line_id, 0.0) + rest, 6)
            if short <= EPS:
                continue
            quantity = max(whole_units(short), info.min_order_qty)
            free += quantity - short
            if parent is not None:
                end = self._start_of(parent)
                orders.append(Order(sku, location, "component", due, quantity, end, parent=parent))
            else:
                orders.append(Order(sku, location, "order" if pegs else "stock", due, quantity, self._end_of(due),
                                    pegs=pegs, forecast_quantity=round(forecast, 6)))
        gap -= free
        if gap > EPS:
            due = self.today + timedelta(days=info.lead_time_days)
            orders.append(Order(sku, location, "stock", due, max(whole_units(gap), info.min_order_qty),
                                end_of_day(due)))
        return orders

    def _match(self, wanted: list[Order], existing: list) -> None:
        """Tie each wanted order to an existing planned one: same key first, then by date."""
        if not existing:
            return
        by_key: dict[tuple, list] = defaultdict(list)
        for row in existing:
            by_key[row_key(row)].append(row)
        rest = []
        for order in wanted:
            rows = by_key.get(order.key())
            if rows:
                order.row = rows.pop(0)
            else:
                rest.append(order)
        left = [row for rows in by_key.values() for row in rows]
        for reason in ("order", "component", "stock"):
            rows = sorted((r for r in left if r["reason"] == reason), key=lambda r: (r["due_on"], r["id"]))
            for order, row in zip((o for o in rest if o.reason == reason), rows):
                order.row = row
                left.remove(row)
        self.unmatched += left

    # -- writing --------------------------------------------------------------------------

    def _operations(self, order: Order) -> list[tuple]:
        """(seq, work center, name, setup, run for the quantity, start, end), estimated backwards;
        the first start is left in `self._start_at`."""
        steps = self.m.routing[order.sku]
        end, placed = order.latest_end, []
        for step in reversed(steps):
            run = round(step.run_min * order.quantity, 6)
            start, stop = self.calendars.backward(step.work_center, end, step.setup_min + run)
            placed.append((step.seq, step.work_center, step.name, step.setup_min, run, to_iso(start), to_iso(stop)))
            end = start
        placed.reverse()
        self._start_at = end
        return placed

    def _start_of(self, order: Order) -> float:
        if order.start_at is None:
            order.start_at = from_iso(order.planned_start) if order.planned_start else self._estimate_start(order)
        return order.start_at

    def _estimate_start(self, order: Order) -> float:
        if order.sku not in self.m.routing:
            return order.latest_end
        self._operations(order)
        return self._start_at

    def _write(self, orders: list[Order]) -> None:
        inserts, updates, rescored, peg_rows, peg_clear, op_rows, op_trim = [], [], [], [], [], [], []
        for order in orders:
            row = order.row
            ops = None
            if row is None:
                order.id, order.number = self.next_id, f"MO-{self.next_number:06d}"
                self.next_id += 1
                self.next_number += 1
                order.change = "created"
                ops = self._operations(order)
            else:
                order.id, order.number = row["id"], row["number"]
                if order.key() == ("stock",) and self.today.isoformat() <= row["due_on"] < order.due.isoformat():
                    order.due = date.fromisoformat(row["due_on"])      # today + lead time moves daily: keep
                    order.latest_end = self._end_of(order.due)
                wanted_ops = [(s.seq, s.work_center, s.name, s.setup_min, round(s.run_min * order.quantity, 6))
                              for s in self.m.routing[order.sku]]
                resized = abs(row["quantity"] - order.quantity) > EPS
                # dates are estimated again only when something they depend on changed: the
                # scheduler's dates stay on an order that did not change
                moved = (row["due_on"] != order.due.isoformat() or row["parent_id"] != order.parent_id
                         or wanted_ops != self.old_ops.get(order.id, [])
                         or row["planned_start"] is None or row["planned_end"] is None)
                repegged = not _same_pegs(self.old_pegs.get(order.id, {}), order.pegs)
                reforecast = (abs(row["forecast_quantity"] - order.forecast_quantity) > EPS
                              or row["reason"] != order.reason)
                order.change = ("resized" if resized else "updated" if (moved or repegged or reforecast)
                                else "unchanged")
                if resized or moved:
                    ops = self._operations(order)
                    gone = {o[0] for o in self.old_ops.get(order.id, [])} - {o[0] for o in ops}
                    op_trim += [(order.id, seq) for seq in gone]
                else:
                    order.planned_start, order.planned_end = row["planned_start"], row["planned_end"]
                if repegged:
                    peg_clear.append((order.id,))
                    peg_rows += [(order.id, line, qty) for line, qty in order.pegs.items()]
            if ops is not None:
                order.planned_start, order.planned_end = ops[0][5], ops[-1][6]
                order.start_at = self._start_at
                op_rows += [(order.id, *op) for op in ops]
            self._score(order)
            if row is None:
                inserts.append((order.id, order.number, order.sku, order.location, order.quantity,
                                order.due.isoformat(), order.reason, order.parent_id, order.planned_start,
                                order.planned_end, order.priority, order.parts_json, order.forecast_quantity,
                                self.now, self.now))
                peg_rows += [(order.id, line, qty) for line, qty in order.pegs.items()]
            elif order.change != "unchanged":
                updates.append((order.quantity, order.due.isoformat(), order.parent_id, order.planned_start,
                                order.planned_end, order.priority, order.parts_json, order.forecast_quantity,
                                order.reason, self.now, order.id))
            else:                                 # a day later it is more urgent: SQLite compares
                rescored.append((order.priority, order.parts_json, order.id, order.priority, order.parts_json))
        conn = self.db.conn
        conn.executemany("INSERT INTO production_order (id, number, sku, location, quantity, due_on, status, reason, "
                         "parent_id, planned_start, planned_end, priority, priority_parts, forecast_quantity, created_at, "
                         "updated_at) VALUES (?, ?, ?, ?, ?, ?, 'planned', ?, ?, ?, ?, ?, ?, ?, ?, ?)", inserts)
        conn.executemany("UPDATE production_order SET quantity = ?, due_on = ?, parent_id = ?, planned_start = ?, "
                         "planned_end = ?, priority = ?, priority_parts = ?, forecast_quantity = ?, reason = ?, "
                         "updated_at = ? WHERE id = ?", updates)
        conn.executemany("UPDATE production_order SET priority = ?, priority_parts = ? WHERE id = ? "
                         "AND (priority IS NOT ? OR priority_parts IS NOT ?)", rescored)
        conn.executemany("DELETE FROM production_peg WHERE production_id = ?", peg_clear)
        conn.executemany("INSERT INTO production_peg (production_id, order_line_id, quantity) VALUES (?, ?, ?)",
                         peg_rows)
        # steps gone from a routing: their operations go (and any schedule's placing of them)
        conn.executemany("DELETE FROM scheduled_op WHERE operation_id IN (SELECT id FROM operation WHERE "
                         "production_id = ? AND seq = ?)", op_trim)
        conn.executemany("DELETE FROM operation WHERE production_id = ? AND seq = ?", op_trim)
        conn.executemany(
            "INSERT INTO operation (production_id, seq, work_center, name, setup_min, run_min, planned_start, "
            "planned_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (production_id, seq) DO UPDATE SET "
            "work_center = excluded.work_center, name = excluded.name, setup_min = excluded.setup_min, "
            "run_min = excluded.run_min, planned_start = excluded.planned_start, planned_end = excluded.planned_end",
            op_rows)

    def _cancel(self, rows: list) -> None:
        ids = [(row["id"],) for row in rows]
        self.db.conn.executemany("UPDATE production_order SET status = 'cancelled', updated_at = ? WHERE id = ?",
                                 [(self.now, row["id"]) for row in rows])
        self.db.conn.executemany("DELETE FROM production_peg WHERE production_id = ?", ids)

    # -- priority -------------------------------------------------------------------------

    def _score(self, order: Order) -> None:
        start = self._start_of(order)
        slack = (self.days.of(start) - self.today).days
        urgency = self._urgency.get(slack)
        if urgency is None:
            urgency = self._urgency[slack] = P.urgency(slack, self.weights.horizon_days)
        self._tier_and_margin(order)
        order.priority, order.parts, order.parts_json = self.scorer.score(urgency, order.tier, order.margin)

    def _tier_and_margin(self, order: Order) -> None:
        if order.tier is not None:
            return
        info = self.m.skus[order.sku]
        if order.reason == "component" and order.parent is not None:
            parent = order.parent
            self._tier_and_margin(parent)
            if parent.reason == "component":              # already names the order it all serves
                order.tier, order.margin = parent.tier, parent.margin
            else:
                if parent.handed_down is None:
                    parent.handed_down = (P.Part(parent.tier.value, f"{parent.tier.basis} (of {parent.number})"),
                                          P.Part(parent.margin.value, f"{parent.margin.basis} (of {parent.number})"))
                order.tier, order.margin = parent.handed_down
            return
        if order.reason == "stock" or not order.pegs:
            order.tier = P.tier([], stock=True)
            order.margin = P.margin(float(info.price_minor or 0), 1.0, info.cost_minor, self.base,
                                    "list price", "no list price: margin unknown, counted 0")
            return
        tiers, revenue, units = [], 0.0, 0.0
        for line_id, quantity in order.pegs.items():
            line = self.line_info.get(line_id)
            if line is None:
                continue
            tiers.append(line["tier"])
            price = self._unit_price(line, order.sku)
            if price is not None:
                revenue += price * quantity
                units += quantity
        order.tier = P.tier(tiers)
        served = len(order.pegs)
        order.margin = P.margin(revenue, units, info.cost_minor, self.base,
                                f"{served} served line{'s' if served != 1 else ''}",
                                "no usable price on the served lines (kit lines or missing rates): margin "
                                "unknown, counted 0")

    def _unit_price(self, line, sku: str) -> float | None:
        """What the line sells one unit of `sku` for, in base minor units; None for a kit."""
        mapping, factor = self.line_units.get((line["id"], sku), ("sku", 1.0))
        if mapping == "kit":
            return None
        if line["unit_price_minor"] is not None:
            amount, per = line["unit_price_minor"], 1.0
        elif line["line_total_minor"] is not None and line["quantity"]:
            amount, per = line["line_total_minor"], line["quantity"]
        else:
            return None
        if line["currency"] == self.base:
            return amount / per / factor
        base, warning = self.converter.to_base(amount, line["currency"], line["ordered_on"] or self.today)
        if base is None:
            if warning:
                self.fx_warnings.add(f"margin: {warning}")
            return None
        return base / per / factor

    # -- output ---------------------------------------------------------------------------

    def _info(self, order: Order) -> ProductionOrderInfo:
        served = []
        for line_id, quantity in order.pegs.items():
            line = self.line_info.get(line_id)
            served.append(ServedLine(
                line_id=line_id, channel=line and line["channel"], order=line and line["external_id"],
                line_key=line and line["line_key"], quantity=quantity, ship_by=line and line["promised_ship_by"],
                customer_tier=line and line["tier"]))
        return ProductionOrderInfo(
            id=order.id, number=order.number, sku=order.sku, location=order.location, quantity=order.quantity,
            due_on=order.due.isoformat(), status="planned", reason=order.reason,
            parent=order.parent.number if order.parent else None, priority=order.priority,
            priority_parts=order.parts, planned_start=order.planned_start,
            planned_end=order.planned_end, served=served, shortages=[], change=order.change,
            forecast_quantity=order.forecast_quantity)


def _same_pegs(old: dict[int, float], new: dict[int, float]) -> bool:
    return old.keys() == new.keys() and all(abs(old[k] - new[k]) <= EPS for k in old)


def _cancelled_info(row) -> ProductionOrderInfo:
    parts = row["priority_parts"]
    return ProductionOrderInfo(id=row["id"], number=row["number"], sku=row["sku"], location=row["location"],
                               quantity=row["quantity"], due_on=row["due_on"], status="cancelled",
                               reason=row["reason"], priority=row["priority"],
                               priority_parts=PriorityParts.from_dict(json.loads(parts)) if parts else None,
                               planned_start=row["planned_start"], planned_end=row["planned_end"], change="cancelled",
                               forecast_quantity=row["forecast_quantity"])
