"""Forecast demand as planning and replenishment use it: the consensus, and forecast consumption.

- `latest_daily`: per SKU the latest stored day-level run that has it (runs for one channel
  left out; later `as_of`, then the higher id, wins), as day → quantity for the SKU total
  (location None) and for each location of the run's split, with sales' forecast applied:
  the consensus. A sales figure for a period (day, ISO week or month) is spread over the
  period's days in proportion to the statistical daily forecast (evenly where that is 0),
  then each day's consensus is `consensus(statistical, sales, weight, override)`; the finest
  period sales gave wins. Locations are scaled like their SKU total.
- `consume`: open orders consume the forecast per calendar week (Monday to Sunday; the first
  one from the first day given): demand of a week = max(forecast, open orders), so an order
  the forecast foresaw is not counted twice; what the orders leave of the forecast
  (`from_forecast` = max(0, forecast − orders)) is the demand still to come.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from omnictl import settings
from omnictl.db import Database

TAIL_DAYS = 7              # a day beyond the run: the mean of its last 7 days
PRECEDENCE = {"day": 0, "week": 1, "month": 2}

_LATEST_DAY_RUNS = """
SELECT f.sku, f.location, f.period_start, f.quantity, f.wape, f.run_id
FROM forecast f JOIN (
    SELECT sku, run_id FROM (
        SELECT p.sku, p.run_id, row_number() OVER (PARTITION BY p.sku ORDER BY r.as_of DESC, r.id DESC) AS rn
        FROM (SELECT DISTINCT run_id, sku FROM forecast WHERE bucket = 'day') p
        JOIN forecast_run r ON r.id = p.run_id
        WHERE json_extract(r.parameters, '$.channel') IS NULL)
    WHERE rn = 1) latest ON latest.sku = f.sku AND latest.run_id = f.run_id
WHERE f.bucket = 'day'
"""


def consensus(statistical: float, sales: float | None, weight: float, override: bool = False) -> float:
    """Sales' figure where it overrides, else weight × sales + (1 − weight) × statistical."""
    if sales is None:
        return statistical
    if override:
        return sales
    return weight * sales + (1.0 - weight) * statistical


@dataclass(slots=True)
class DailyForecast:
    run_id: int
    wape: float | None
    series: dict[str | None, dict[str, float]] = field(default_factory=dict)   # location → day → qty
    statistical: dict[str, float] = field(default_factory=dict)               # SKU total before sales'

    def days(self, location: str | None, days: list[date]) -> list[float]:
        """The forecast of each day; a day the run does not cover counts the mean of its last days."""
        return fill_days(self.series.get(location, {}), [d.isoformat() for d in days])


def fill_days(series: dict[str, float], days: list[str]) -> list[float]:
    """The series on these days (ISO dates); a day it lacks counts the mean of its last days."""
    known = sorted(series)
    tail = [series[d] for d in known[-TAIL_DAYS:]]
    fill = sum(tail) / len(tail) if tail else 0.0
    return [series.get(d, fill) for d in days]


def _period_days(bucket: str, start: date) -> list[date]:
    if bucket == "day":
        return [start]
    if bucket == "week":
        return [start + timedelta(days=i) for i in range(7)]
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return [start + timedelta(days=i) for i in range((nxt - start).days)]


def sales_by_day(db: Database, sku: str, statistical: dict[str, float]) -> dict[str, tuple[float, bool]]:
    """Sales' forecast of the SKU spread over days (see the module docstring): day → (quantity, override)."""
    out: dict[str, tuple[float, bool, int]] = {}
    for r in db.query("SELECT bucket, period_start, quantity, override FROM sales_forecast WHERE sku = ?", (sku,)):
        days = [d.isoformat() for d in _period_days(r["bucket"], date.fromisoformat(r["period_start"]))]
        covered = [d for d in days if d in statistical]
        if not covered:
            continue
        mean = sum(statistical[d] for d in covered) / len(covered)
        rank = PRECEDENCE[r["bucket"]]
        for d in covered:
            share = statistical[d] / (mean * len(days)) if mean > 0 else 1.0 / len(days)
            if d not in out or rank < out[d][2]:
                out[d] = (r["quantity"] * share, bool(r["override"]), rank)
    return {d: (q, o) for d, (q, o, _) in out.items()}


def latest_daily(db: Database, sku: str | None = None) -> dict[str, DailyForecast]:
    """Per SKU (or the one): the latest day run's consensus forecast (see the module docstring)."""
    found: dict[str, DailyForecast] = {}
    sql, params = _LATEST_DAY_RUNS, ()
    if sku is not None:
        sql, params = sql.replace("WHERE bucket = 'day'", "WHERE bucket = 'day' AND sku = ?", 1), (sku,)
    cursor = db.conn.cursor()
    cursor.row_factory = None                 # plain tuples: a company's run holds millions of rows
    code_now, by_location = None, {}
    for code, location, day, quantity, wape, run_id in cursor.execute(sql, params):
        if code != code_now:                  # rows come (not sorted, which costs seconds) mostly a SKU at a time
            code_now = code
            entry = found.get(code)
            if entry is None:
                entry = found[code] = DailyForecast(run_id, wape, {})
            by_location = entry.series
        series = by_location.get(location)
        if series is None:
            series = by_location[location] = {}
        series[day] = quantity
    with_sales = {r[0] for r in db.query("SELECT DISTINCT sku FROM sales_forecast")}
    weight = float(settings.get(db, "forecast.sales_weight")) if with_sales else 0.0
    for sku, entry in found.items():
        total = entry.series.get(None, {})
        entry.statistical = dict(total)
        if sku not in with_sales or not total:
            continue
        sales = sales_by_day(db, sku, total)
        if not sales:
            continue
        run_total = sum(total.values())
        shares = {loc: sum(s.values()) / run_total for loc, s in entry.series.items()
                  if loc is not None and run_total > 0}
        for day, (quantity, override) in sales.items():
            stat = total[day]
            blended = consensus(stat, quantity, weight, override)
            for loc, s in entry.series.items():
                if loc is None:
                    continue
                s[day] = s.get(day, 0.0) * blended / stat if stat > 0 else blended * shares.get(loc, 0.0)
            total[day] = blended
    return found


@dataclass(slots=True)
class Period:
    """One week of forecast consumption."""
    start: date                 # the first day counted (the first day given, in the first week)
    end: date                   # the last day counted
    forecast: float
    orders: float

    @property
    def demand(self) -> float:
        return max(self.forecast, self.orders)

    @property
    def from_forecast(self) -> float:
        return max(0.0, self.forecast - self.orders)


def consume(first: date, daily_forecast: list[float], orders: dict[date, float]) -> list[Period]:
    """Weeks from `first` over `len(daily_forecast)` days: each week's forecast consumed by the
    open orders due in it (orders due before `first` count in the first week, those after the
    last day are left out)."""
    periods: list[Period] = []
    if not daily_forecast:
        return periods
    last = first + timedelta(days=len(daily_forecast) - 1)
    for i, quantity in enumerate(daily_forecast):
        day = first + timedelta(days=i)
        if not periods or day.weekday() == 0:
            periods.append(Period(day, day, 0.0, 0.0))
        periods[-1].end = day
        periods[-1].forecast += quantity
    for day, quantity in orders.items():
        if day > last:
            continue
        target = max(day, first)
        period = next(p for p in periods if p.start <= target <= p.end)
        period.orders += quantity
    return periods


def unconsumed_days(first: date, daily_forecast: list[float], orders: dict[date, float]) -> list[float]:
    """The daily forecast less what open orders consumed of its week, in proportion to each day."""
    out = list(daily_forecast)
    if not orders:
        return out
    index = 0
    for period in consume(first, daily_forecast, orders):
        length = (period.end - period.start).days + 1
        factor = period.from_forecast / period.forecast if period.forecast > 0 else 0.0
        for i in range(index, index + length):
            out[i] = daily_forecast[i] * factor
        index += length
    return out
