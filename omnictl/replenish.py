"""Forecast-driven replenishment per SKU and location, and inventory turnover days.

`replenish_plan` (a suggestion, nothing is written but a day forecast run when none exists):

- Daily demand: per SKU, the latest stored day-level forecast run that has it, with sales'
  forecast blended in or overriding (the consensus, `omnictl.forecast.demand.latest_daily`);
  with no day run at all one is run first (`run_forecast(db, bucket=None)`: the default
  levels, days to the end of the next quarter). A
  location's series is the run's location split; a SKU the run did not split (no demand
  location) is put at the home warehouse. A day the run does not cover counts the mean of
  the run's last 7 days. Open orders consume it week by week, as in `plan orders`
  (`demand.consume`: demand = max(forecast, open orders) per week, each line in the week of
  its ship-by date, today without one): the projection subtracts only what they leave of
  the forecast, since the open orders are already reserved.
- σ of daily demand from the stored backtest WAPE of the SKU's method:
  σ_daily = 1.25 × WAPE × d̄, d̄ the mean daily forecast at the location over the horizon
  (WAPE × d̄ is the mean absolute daily error; 1.25 ≈ √(π/2) turns a mean absolute error of
  a normal error into its standard deviation). Without a WAPE (no backtest): σ_daily = √d̄
  (Poisson demand).
- Safety stock = max(z × σ_daily × √(lead time days), the SKU's master `safety_stock` at a
  warehouse), z the standard normal quantile of `forecast.service_level_pct` (95 → 1.6449;
  taken between 50 and 99.99). Lead time = the SKU's `lead_time_days` (for a made SKU: its
  production lead time).
- Reorder point = lead-time demand (the forecast of the first `lead time` days from today) +
  safety stock.
- Projection, end of day, today first: on hand − reserved (open sales demand, all at once
  today) + open purchase lines on their expected date (overdue ones today) + open production
  (planned, released, started; quantity less what was produced) on its planned end's date in
  company time (else its due date; overdue ones today) − the daily forecast left after
  consumption.
- Stock-out date: the first day of the horizon projected below 0; the day it falls below
  the reorder point likewise. Need date: the first day projected below safety stock.
- Suggestion (only when the need date is in the horizon): enough to keep the projection at
  safety stock on every day from the need date (when the order arrives) to `lead time + 7`
  (the review period) days after it, when the next order would arrive, i.e. safety stock − the
  lowest projected stock of that window (a receipt late in the window does not cover the days
  before it); in whole units, at least the minimum order quantity. Order by = need date − lead time (before today: late).
  A SKU with a routing is produced, else bought.
- Stores (location kind `store`) never produce or buy: a store's suggestion is a transfer
  from the warehouse that stocks it (where the SKU's work centers stand, else the home
  warehouse), with no lead time (none is in the master data: it is due the day it is needed),
  and it is demand at that warehouse on its order-by day, so the warehouse's projection and
  its production or purchase suggestion cover it. Stores are computed first for that reason.

The stored plan (`update_stored_plan`, `stored_plan`, `stored_lines`): the whole plan is kept
in the database with a stamp of its inputs (`inputs_stamp`: the day, the horizon, the newest
row of each append-only record it reads, and a sum over the open purchases and production
orders, which change in place). While the stamp is unchanged the stored plan is current and is
reused; the console shows it at once and computes it again in a worker when it is stale.

`turnover`: over the last `days` complete days (ending yesterday, or a given end day), per SKU over all
locations: average on hand = mean of the end-of-day on hand of every day in the period (from
the ledger); usage = units shipped (sale moves, net of reversals) + units issued to
production (consume moves); turnover days = average on hand ÷ (usage / days). The total is
valued at each SKU's `cost_minor` (SKUs without a cost are left out and named): average stock
value ÷ daily cost of usage. Band: `ok` at or below `kpi.turnover_days_target`, else `above
target`; `no usage` when nothing left stock.
"""

from __future__ import annotations

import functools
import json
import math
from bisect import bisect_left
from collections import defaultdict
from datetime import date, timedelta
from statistics import NormalDist

from omnictl import clock, inventory, settings
from omnictl.db import Database
from omnictl.errors import NotFound, UsageError
from omnictl.forecast.demand import fill_days, latest_daily, unconsumed_days
from omnictl.models import ReplenishPlanLine, StoredPlan, TurnoverLine, TurnoverReport

REVIEW_DAYS = 7
MAD_TO_SIGMA = 1.25
EPS = 1e-6
DIGITS = 3

_ARRIVALS_SQL = """
SELECT pl.sku AS sku, po.location AS location, coalesce(pl.expected_on, po.expected_on) AS day,
       sum(pl.quantity - pl.received) AS quantity
FROM purchase_line pl JOIN purchase_order po ON po.id = pl.po_id
WHERE po.status = 'open' AND pl.received < pl.quantity
GROUP BY 1, 2, 3
"""

_PRODUCTION_SQL = """
SELECT p.sku, p.location, p.planned_end, p.due_on,
       p.quantity - coalesce((SELECT sum(m.quantity) FROM stock_move m
                              WHERE m.kind = 'produce' AND m.ref = p.number AND m.sku = p.sku), 0) AS open
FROM production_order p WHERE p.status IN ('planned', 'released', 'started')
"""


def z_value(service_level_pct: float) -> float:
    """The standard normal quantile of a service level in percent (taken between 50 and 99.99)."""
    p = min(max(float(service_level_pct), 50.0), 99.99) / 100.0
    return NormalDist().inv_cdf(p)


def _local_day(instant: str) -> date:
    from datetime import datetime

    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(clock.zone()).date()


def replenish_plan(db: Database, horizon_days: int = 28, sku: str | None = None,
                   location: str | None = None) -> list[ReplenishPlanLine]:
    """Per SKU and location: forecast demand, safety stock, reorder point, projection, stock-out
    date and a suggested purchase or production quantity (see the module docstring)."""
    from omnictl.planning.bom import Master, home_warehouse, producing_warehouses, stores, warehouses

    if horizon_days < 1:
        raise UsageError("--horizon must be at least 1 day")
    if sku and db.scalar("SELECT 1 FROM sku WHERE code = ?", (sku,)) is None:
        raise NotFound(f"no master SKU '{sku}'")
    if location and db.scalar("SELECT 1 FROM location WHERE code = ?", (location,)) is None:
        raise NotFound(f"no location '{location}'")
    _ensure_day_forecast(db)
    m = Master(db)
    today = clock.today()
    z = z_value(settings.get(db, "forecast.service_level_pct"))
    depots, home, shops, producing = warehouses(db), home_warehouse(db), stores(db), producing_warehouses(db)
    forecasts = latest_daily(db)

    series: dict[tuple[str, str], dict[str, float]] = {}
    for code, entry in forecasts.items():
        split = {loc: s for loc, s in entry.series.items() if loc is not None}
        if split:
            series.update({(code, loc): s for loc, s in split.items()})
        elif home is not None and None in entry.series:
            series[(code, home)] = entry.series[None]
    ordered: dict[tuple[str, str], dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for r in inventory.open_demand(db):
        ordered[(r["sku"], r["location"])][date.fromisoformat(r["ship_by"][:10]) if r["ship_by"] else today] += \
            r["quantity"]
    held = inventory.on_hand(db)
    held_back = inventory.reserved(db)
    arrivals: dict[tuple[str, str], list[tuple[date, float]]] = defaultdict(list)
    for r in db.query(_ARRIVALS_SQL):
        arrivals[(r["sku"], r["location"])].append((max(date.fromisoformat(r["day"][:10]), today), r["quantity"]))
    for r in db.query(_PRODUCTION_SQL):
        if r["open"] <= EPS or (r["location"] is None and home is None):
            continue
        day = _local_day(r["planned_end"]) if r["planned_end"] else date.fromisoformat(r["due_on"][:10])
        arrivals[(r["sku"], r["location"] or home)].append((max(day, today), r["open"]))

    pairs = set(series) | {k for k, q in held.items() if abs(q) > EPS} | set(held_back) | set(arrivals)
    pairs = {p for p in pairs if p[0] in m.skus and (sku is None or p[0] == sku)
             and (location is None or p[1] == location)}
    def source_of(code: str, loc: str) -> str | None:
        """The warehouse a store is stocked from (None: not a store, or no warehouse)."""
        found = producing.get(code) or home if loc in shops else None
        return found if found != loc else None

    # stores first: what they need transferred is demand at their warehouse on its order-by day
    transfers_out: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    everywhere = {p for p in set(series) | {k for k, q in held.items() if abs(q) > EPS} | set(held_back) | set(arrivals)
                  if p[0] in m.skus and (sku is None or p[0] == sku)}
    for code, loc in everywhere:
        source = source_of(code, loc)
        if source and (location is None or location in (loc, source)):
            pairs |= {(code, loc), (code, source)}    # a store computed for its warehouse's sake is not shown
    @functools.cache
    def calendar(span: int) -> tuple[list[date], list[str]]:
        days = [today + timedelta(days=i) for i in range(span)]
        return days, [d.isoformat() for d in days]

    result = []
    for code, loc in sorted(pairs, key=lambda p: (p[1] not in shops, p)):
        info = m.skus[code]
        source = source_of(code, loc)
        # a store has no purchase or production lead time: a transfer arrives the day it is needed
        lead = 0 if source else int(info.lead_time_days or 0)
        span = horizon_days + lead + REVIEW_DAYS         # enough days to size an order at the horizon's end
        days, day_keys = calendar(span)
        fc = fill_days(series.get((code, loc), {}), day_keys)
        left = unconsumed_days(today, fc, ordered.get((code, loc), {}))
        mean = sum(fc[:horizon_days]) / horizon_days
        entry = forecasts.get(code)
        wape = entry.wape if entry else None
        if wape is not None:
            sigma, basis = MAD_TO_SIGMA * wape * mean, "wape"
        else:
            sigma, basis = math.sqrt(mean), "poisson"
        statistical = z * sigma * math.sqrt(lead)
        master_safety = info.safety_stock if loc in depots else 0.0
        safety = max(statistical, master_safety)
        reorder = sum(fc[:lead]) + safety
        on_hand, reserved = held.get((code, loc), 0.0), held_back.get((code, loc), 0.0)
        incoming = defaultdict(float)
        for day, quantity in arrivals.get((code, loc), ()):
            incoming[(day - today).days] += quantity
        for i, quantity in transfers_out.get((code, loc), {}).items():
            incoming[i] -= quantity
        balance, projection = on_hand - reserved, []
        for i in range(span):
            balance += incoming.get(i, 0.0) - left[i]
            projection.append(balance)

        stockout, below, need = (_first_below(projection[:horizon_days], limit) for limit in (0.0, reorder, safety))
        line = ReplenishPlanLine(
            sku=code, location=loc, unit=info.unit,
            action="transfer" if source else "produce" if m.made(code) else "buy", source=source,
            on_hand=on_hand, reserved=reserved, atp=on_hand - reserved, daily_forecast=round(mean, DIGITS),
            sigma_daily=round(sigma, 4), sigma_basis=basis, lead_time_days=lead, safety_stock=round(safety, DIGITS),
            reorder_point=round(reorder, DIGITS), min_order_qty=info.min_order_qty,
            stockout_on=days[stockout].isoformat() if stockout is not None else None,
            below_reorder_on=days[below].isoformat() if below is not None else None,
            need_on=days[need].isoformat() if need is not None else None,
            run_id=entry.run_id if entry else None,
            consumed=round(sum(fc[:horizon_days]) - sum(left[:horizon_days]), DIGITS),
            projection=[round(q, DIGITS) for q in projection[:horizon_days]])
        if need is not None:
            raw = safety - min(projection[need:need + lead + REVIEW_DAYS + 1])
            if raw > EPS:
                line.suggested = max(float(math.ceil(raw - EPS)), info.min_order_qty)
                order_by = days[need] - timedelta(days=lead)
                line.order_by, line.late = order_by.isoformat(), order_by < today
                if source:
                    transfers_out[(code, source)][max((order_by - today).days, 0)] += line.suggested
        if location is None or loc == location:
            result.append(line)
    return sorted(result, key=lambda line: (line.sku, line.location))


def _first_below(projection: list[float], limit: float) -> int | None:
    return next((i for i, q in enumerate(projection) if q < limit - EPS), None)


def _ensure_day_forecast(db: Database) -> None:
    from omnictl.forecast.run import run_forecast

    if db.scalar("SELECT 1 FROM forecast WHERE bucket = 'day' LIMIT 1") is None:
        try:
            run_forecast(db, bucket=None)
        except NotFound:
            pass                                     # no demand history: nothing forecast


# -- the stored plan --------------------------------------------------------------------------

# What the plan reads, in cheap reads: the newest row of each append-only record (the ledger,
# order changes, imports, audited actions, forecast and schedule runs, shop-floor reports) and
# a sum over the open purchases and production orders, which are changed in place.
_INPUTS_SQL = """
SELECT (SELECT max(id) FROM stock_move), (SELECT max(id) FROM order_event), (SELECT max(id) FROM import_batch),
       (SELECT max(id) FROM audit_log), (SELECT max(id) FROM forecast_run), (SELECT max(id) FROM sales_forecast_batch),
       (SELECT max(id) FROM schedule_run), (SELECT max(id) FROM shopfloor_report),
       (SELECT count(*) || ':' || total(pl.quantity - pl.received) || ':' || max(coalesce(pl.expected_on, ''))
        FROM purchase_line pl JOIN purchase_order po ON po.id = pl.po_id WHERE po.status = 'open'),
       (SELECT count(*) || ':' || total(quantity) || ':' || max(coalesce(planned_end, due_on))
        FROM production_order WHERE status IN ('planned', 'released', 'started'))
"""


def inputs_stamp(db: Database, horizon_days: int = 28) -> str:
    """A stamp of what the plan is computed from (and the day and horizon): equal stamps, equal plans."""
    values = db.conn.execute(_INPUTS_SQL).fetchone()
    return "|".join([clock.today().isoformat(), str(horizon_days), *("" if v is None else str(v) for v in values)])


_LINE_COLUMNS = [name for name in ReplenishPlanLine.model_fields if name != "projection"]


def store_plan(db: Database, lines: list[ReplenishPlanLine], horizon_days: int, inputs: str) -> StoredPlan:
    """Keep this plan as the latest (replacing the one before), in the console's order."""
    ordered = sorted(lines, key=lambda p: (p.stockout_on or "9999", p.order_by or "9999", p.sku, p.location))
    header = StoredPlan(computed_at=clock.utc_now_iso(), today=clock.today().isoformat(), horizon_days=horizon_days,
                        inputs=inputs, lines=len(lines), current=True)
    with db.write():
        db.execute("DELETE FROM replenish_line")
        db.conn.executemany(
            f"INSERT INTO replenish_line (rank, {', '.join(_LINE_COLUMNS)}, projection) "
            f"VALUES ({', '.join('?' * (len(_LINE_COLUMNS) + 2))})",
            ((rank, *(getattr(line, name) for name in _LINE_COLUMNS), json.dumps(line.projection))
             for rank, line in enumerate(ordered)))
        db.execute("INSERT OR REPLACE INTO replenish_plan (id, computed_at, today, horizon_days, inputs, lines) "
                   "VALUES (1, ?, ?, ?, ?, ?)",
                   (header.computed_at, header.today, horizon_days, inputs, header.lines))
    return header


def stored_plan(db: Database) -> StoredPlan | None:
    """The latest stored plan's header, `current` when nothing it was computed from has changed."""
    row = db.one("SELECT * FROM replenish_plan WHERE id = 1")
    if row is None:
        return None
    return StoredPlan(computed_at=row["computed_at"], today=row["today"], horizon_days=row["horizon_days"],
                      inputs=row["inputs"], lines=row["lines"],
                      current=row["inputs"] == inputs_stamp(db, row["horizon_days"]))


def update_stored_plan(db: Database, horizon_days: int = 28) -> StoredPlan:
    """The stored plan, computed and stored again first unless it is current."""
    _ensure_day_forecast(db)
    found = stored_plan(db)
    if found is not None and found.current and found.horizon_days == horizon_days:
        return found
    inputs = inputs_stamp(db, horizon_days)       # before computing: a change meanwhile makes it stale
    return store_plan(db, replenish_plan(db, horizon_days), horizon_days, inputs)


def stored_lines(db: Database, offset: int = 0, limit: int = -1) -> list[ReplenishPlanLine]:
    """The stored plan's lines in its order (soonest stock-out first), a page at a time."""
    rows = db.query("SELECT * FROM replenish_line WHERE rank >= ? ORDER BY rank LIMIT ?", (offset, limit))
    return [ReplenishPlanLine(**{name: row[name] for name in _LINE_COLUMNS}, projection=json.loads(row["projection"]))
            for row in rows]


# -- turnover days ----------------------------------------------------------------------------

def turnover(db: Database, days: int = 90, end: date | None = None) -> TurnoverReport:
    """Inventory turnover days per SKU and in total over the `days` complete days ending `end`
    (default: yesterday)."""
    if days < 1:
        raise UsageError("--days must be at least 1")
    end = end or clock.today() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    target = float(settings.get(db, "kpi.turnover_days_target"))
    stock = _stock_days(db, start, days)
    costs = _costs(db)
    report = TurnoverReport(start=start.isoformat(), end=end.isoformat(), days=days, target_days=target)
    value, cogs = 0.0, 0.0
    for code in sorted(set(stock.opening) | set(stock.change)):
        balance, total = stock.opening.get(code, 0.0), 0.0
        for delta in stock.change.get(code, [0.0] * days):
            balance += delta
            total += balance
        average = total / days
        usage = stock.sold.get(code, 0.0) + stock.consumed.get(code, 0.0)
        if abs(average) < EPS and abs(usage) < EPS:
            continue
        daily = usage / days
        turn = round(average / daily, 1) if daily > EPS else None
        report.lines.append(TurnoverLine(sku=code, average_on_hand=round(average, DIGITS),
                                         sold=round(stock.sold.get(code, 0.0), DIGITS),
                                         consumed=round(stock.consumed.get(code, 0.0), DIGITS),
                                         daily_usage=round(daily, 4), turnover_days=turn, band=_band(turn, target)))
        if costs.get(code) is None:
            report.uncosted.append(code)
        else:
            value += average * costs[code]
            cogs += daily * costs[code]
    report.average_value_minor = round(value)
    report.daily_cogs_minor = round(cogs, 2)
    report.turnover_days = round(value / cogs, 1) if cogs > EPS else None
    report.band = _band(report.turnover_days, target)
    return report


_DAILY_VALUE_SQL = """
WITH days(i, lo, hi) AS (VALUES {values})
SELECT d.i AS i, sum(m.quantity * s.cost_minor) AS change,
       -sum(CASE WHEN m.kind IN ('sale', 'consume') THEN m.quantity * s.cost_minor ELSE 0 END) AS used
FROM days d JOIN stock_move m ON m.effective_at > d.lo AND m.effective_at <= d.hi
JOIN sku s ON s.code = m.sku
WHERE s.cost_minor IS NOT NULL
GROUP BY d.i
"""


def daily_stock_value(db: Database, start: date, days: int) -> list[tuple[float, float]]:
    """Per day from `start`: (end-of-day stock value, cost of that day's usage), in minor units
    of the SKUs' cost, over SKUs with a cost: the inputs of `turnover`'s total, day by day,
    summed in SQL per day (a trend over many days reads no row per move)."""
    bounds = [inventory.check_time((start + timedelta(days=i)).isoformat(), "--days") for i in range(-1, days)]
    costs = _costs(db)
    opening = sum(q * costs[code] for (code, _loc), q in inventory.on_hand(db, as_of=bounds[0]).items()
                  if costs.get(code) is not None)
    params = [value for i in range(days) for value in (i, bounds[i], bounds[i + 1])]
    change, used = [0.0] * days, [0.0] * days
    sql = _DAILY_VALUE_SQL.format(values=", ".join(["(?, ?, ?)"] * days))
    for row in db.query(sql, params):
        change[row["i"]], used[row["i"]] = row["change"] or 0.0, row["used"] or 0.0
    series, value = [], opening
    for i in range(days):
        value += change[i]
        series.append((value, used[i]))
    return series


class _StockDays:
    """Opening on hand per SKU, each day's change, and the period's usage."""

    def __init__(self, days: int):
        self.opening: dict[str, float] = defaultdict(float)
        self.change: dict[str, list[float]] = defaultdict(lambda: [0.0] * days)
        self.sold: dict[str, float] = defaultdict(float)
        self.consumed: dict[str, float] = defaultdict(float)


def _stock_days(db: Database, start: date, days: int) -> _StockDays:
    # end of each day in company time, as stored instants (UTC, seconds, `Z`: they sort as text)
    bounds = [inventory.check_time((start + timedelta(days=i)).isoformat(), "--days") for i in range(-1, days)]
    stock = _StockDays(days)
    for (code, _loc), q in inventory.on_hand(db, as_of=bounds[0]).items():
        stock.opening[code] += q
    for r in db.query("SELECT sku, effective_at, quantity, kind FROM stock_move WHERE effective_at > ? "
                      "AND effective_at <= ?", (bounds[0], bounds[-1])):
        stock.change[r["sku"]][bisect_left(bounds, r["effective_at"]) - 1] += r["quantity"]
        if r["kind"] == "sale":
            stock.sold[r["sku"]] -= r["quantity"]
        elif r["kind"] == "consume":
            stock.consumed[r["sku"]] -= r["quantity"]
    return stock


def _costs(db: Database) -> dict[str, int | None]:
    return {r["code"]: r["cost_minor"] for r in db.query("SELECT code, cost_minor FROM sku")}


def _band(days: float | None, target: float) -> str:
    if days is None:
        return "no usage"
    return "ok" if days <= target else "above target"
