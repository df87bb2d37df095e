"""The three KPIs of the daily close, with fixed definitions and targets from the settings.

A period is a range of calendar days in the company timezone, both ends included.

**On-time delivery** (`kpi.otd_target_pct`, status `ok` at or above it, else `below target`):
lines shipped in the period (the line's `shipped_at` taken as a date in company time; a
source that gives a date only keeps that date) that were shipped on or before their order's
promised ship-by, over the lines shipped in the period that have a promise. Cancelled lines
and lines of zero or negative quantity (till returns) are not shipments. Lines shipped with
no promise are counted (`unpromised_lines`) and left out of the rate.

**On-time delivery to the customer** (same target): by the same rule, lines of orders
delivered in the period (the order's `delivered_at`, mapped by a channel profile) on or
before the order's deliver-by, over such lines whose order has a deliver-by. Delivered lines
without one are counted (`undated_delivered_lines`) and left out.

**OEE** per work center and overall (`kpi.oee_target_pct`), from shop-floor reports on the
days a work center reported:
- planned time = working time of the work center's calendar that day (shifts less holidays
  and the work center's planned downtime, `calendar_exception`) × its units; when the
  reported run + downtime exceed it (overtime, no shift that day), run + downtime;
- availability = run minutes / planned time; a day reported with no run minutes counts
  planned time − downtime as run time (said in the notes);
- performance = (good + scrap) / (ideal rate × run hours), at most 100% (said when capped);
  no ideal rate on the work center: performance is assumed 100% (said in the notes);
- quality = good / (good + scrap); no scrap recorded: 100% (said in the notes);
- OEE = availability × performance × quality. Overall: Σ run / Σ planned, performance
  weighted by run time, quality by run time × performance, so that overall OEE = Σ (planned
  × OEE) / Σ planned time.

**Inventory turnover days** (`kpi.turnover_days_target`, `outside band` when more than
`kpi.turnover_band_pct` percent above or below it): `replenish.turnover` over the period,
average stock value ÷ daily cost of goods sold (sales and production issues at each SKU's
cost, in base currency); SKUs without a cost are left out and named.

`kpi_trend` gives per day the on-time delivery, the overall OEE and the turnover days of the
30 days ending that day, from grouped queries over the whole trend (no per-day recomputation).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from omnictl import clock, settings
from omnictl.db import Database
from omnictl.errors import UsageError
from omnictl.models import KpiDay, KpiFigure, KpiReport, OeeLine
from omnictl.planning.calendars import working_intervals
from omnictl.replenish import daily_stock_value, turnover

DEFAULT_DAYS = 30
TURNOVER_WINDOW_DAYS = 30          # a trend day's turnover: the 30 days ending that day
EPS = 1e-9

OK, BELOW, OUTSIDE, NA = "ok", "below target", "outside band", "n/a"

# Lines grouped by the company-time day they shipped (or were delivered): instants by the day's
# UTC bounds, date-only values by themselves; on time when that day is no later than the promise.
# `values` is a VALUES list of (day, lo, hi); the other fields come from SHIPPED or DELIVERED.
_ON_TIME_INSTANTS = """
WITH days(day, lo, hi) AS (VALUES {values})
SELECT d.day AS day, count(*) AS lines, sum({promise} IS NOT NULL) AS promised, sum({promise} >= d.day) AS on_time
FROM days d JOIN {driver} ON {when} >= d.lo AND {when} < d.hi JOIN {other}
WHERE length({when}) > 10 AND l.fulfilment <> 'cancelled' AND l.quantity > 0
GROUP BY d.day
"""
_ON_TIME_DATES = """
SELECT {when} AS day, count(*) AS lines, sum({promise} IS NOT NULL) AS promised, sum({promise} >= {when}) AS on_time
FROM {driver} JOIN {other}
WHERE {when} >= ? AND {when} <= ? AND length({when}) = 10 AND l.fulfilment <> 'cancelled' AND l.quantity > 0
GROUP BY {when}
"""
SHIPPED = {"when": "l.shipped_at", "promise": "o.promised_ship_by", "driver": "order_line l",
           "other": "sales_order o ON o.id = l.order_id"}
DELIVERED = {"when": "o.delivered_at", "promise": "o.deliver_by", "driver": "sales_order o",
             "other": "order_line l ON l.order_id = o.id"}
_REPORTS_BY_DAY = """
SELECT r.work_center, r.report_date AS day, count(*) AS reports, sum(r.run_min) AS run,
       sum(r.downtime_min) AS down, sum(r.good_qty) AS good, sum(r.scrap_qty) AS scrap
FROM shopfloor_report r
WHERE r.report_date >= ? AND r.report_date <= ?
GROUP BY r.work_center, r.report_date
"""
_DOWNTIME_REASONS = """
SELECT work_center, coalesce(nullif(trim(downtime_reason), ''), '(no reason)') AS reason,
       sum(downtime_min) AS minutes
FROM shopfloor_report
WHERE report_date >= ? AND report_date <= ? AND downtime_min > 0
GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2
"""


# -- the period ---------------------------------------------------------------------------------

def period(since: str | None, until: str | None) -> tuple[date, date]:
    """`--from` / `--to` as days; by default the last 30 complete days by the clock."""
    end = _day(until, "--to") if until else clock.today() - timedelta(days=1)
    start = _day(since, "--from") if since else end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise UsageError(f"--from {start} is after --to {end}")
    return start, end


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} '{text}' is not a date (YYYY-MM-DD)") from None


def report_for(db: Database, since: str | None = None, until: str | None = None) -> KpiReport:
    """`omnictl kpi`: the report for the period given as option texts."""
    start, end = period(since, until)
    return kpi_report(db, start, end)


# -- the report ---------------------------------------------------------------------------------

def kpi_report(db: Database, start: date, end: date) -> KpiReport:
    """All three KPIs over the days `start` … `end` (company time, both included)."""
    if start > end:
        raise UsageError(f"the period starts {start}, after its end {end}")
    days = (end - start).days + 1
    report = KpiReport(start=start.isoformat(), end=end.isoformat(), days=days,
                       currency=settings.get(db, "company.currency"))
    otd_target = float(settings.get(db, "kpi.otd_target_pct"))
    shipped = _total(_shipped_by_day(db, start, end))
    report.shipped_lines, report.unpromised_lines = shipped.lines, shipped.lines - shipped.promised
    report.kpis.append(_rate("on_time_delivery", "On-time delivery (shipped by the promised ship-by)",
                             shipped, otd_target, f"{report.unpromised_lines} shipped line(s) had no promised "
                             "ship-by and are left out of the rate"))
    delivered = _total(_delivered_by_day(db, start, end))
    report.delivered_lines = delivered.lines
    report.undated_delivered_lines = delivered.lines - delivered.promised
    report.kpis.append(_rate("on_time_to_customer", "On-time delivery to the customer (by the deliver-by)",
                             delivered, otd_target, f"{report.undated_delivered_lines} delivered line(s) had "
                             "no deliver-by and are left out of the rate"))
    oee_target = float(settings.get(db, "kpi.oee_target_pct"))
    centers = _centers(db, start, end)
    report.oee_by_work_center = [_oee_line(center, oee_target) for center in centers]
    report.kpis.append(_oee_figure(centers, oee_target))
    figure, stock = _turnover_figure(db, days, end)
    report.kpis.append(figure)
    report.average_stock_value_minor, report.daily_cogs_minor = stock.average_value_minor, stock.daily_cogs_minor
    return report


@dataclass(slots=True)
class _Counts:
    lines: int = 0
    promised: int = 0
    on_time: int = 0

    def add(self, other: _Counts) -> None:
        self.lines += other.lines
        self.promised += other.promised
        self.on_time += other.on_time

    @property
    def pct(self) -> float | None:
        return round(100.0 * self.on_time / self.promised, 2) if self.promised else None


def _total(by_day: dict[str, _Counts]) -> _Counts:
    total = _Counts()
    for counts in by_day.values():
        total.add(counts)
    return total


def _rate(name: str, label: str, counts: _Counts, target: float, unpromised: str) -> KpiFigure:
    value = counts.pct
    notes = [unpromised] if counts.lines > counts.promised else []
    if counts.lines == 0:
        notes.append("nothing in the period")
    status = NA if value is None else OK if value >= target - EPS else BELOW
    return KpiFigure(name=name, label=label, value=value, target=target, unit="%", status=status,
                     numerator=counts.on_time, denominator=counts.promised, notes=notes)


# -- on-time delivery, per day ------------------------------------------------------------------

def _day_bounds(start: date, end: date) -> tuple[str, list]:
    """A VALUES list of (day, start of day, start of next day) in UTC instants, and its params."""
    zone, params = clock.zone(), []
    day = start
    while day <= end:
        lo = clock.to_utc_iso(datetime.combine(day, time(0), tzinfo=zone))
        hi = clock.to_utc_iso(datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone))
        params += [day.isoformat(), lo, hi]
        day += timedelta(days=1)
    return ", ".join(["(?, ?, ?)"] * (len(params) // 3)), params


def _grouped(db: Database, measure: dict[str, str], start: date, end: date) -> dict[str, _Counts]:
    values, params = _day_bounds(start, end)
    found: dict[str, _Counts] = defaultdict(_Counts)
    rows = db.query(_ON_TIME_INSTANTS.format(values=values, **measure), params)
    rows += db.query(_ON_TIME_DATES.format(**measure), (start.isoformat(), end.isoformat()))
    for row in rows:
        found[row["day"]].add(_Counts(row["lines"], row["promised"] or 0, row["on_time"] or 0))
    return found


def _shipped_by_day(db: Database, start: date, end: date) -> dict[str, _Counts]:
    return _grouped(db, SHIPPED, start, end)


def _delivered_by_day(db: Database, start: date, end: date) -> dict[str, _Counts]:
    return _grouped(db, DELIVERED, start, end)


# -- OEE ----------------------------------------------------------------------------------------

@dataclass
class _Center:
    """One work center's reports over some days, summed, with what had to be assumed."""
    code: str
    ideal_rate: float | None
    days: int = 0
    reports: int = 0
    planned: float = 0.0
    run: float = 0.0
    down: float = 0.0
    good: float = 0.0
    scrap: float = 0.0
    run_assumed_days: int = 0
    overtime_days: int = 0
    reasons: dict[str, float] = field(default_factory=dict)

    def add_day(self, calendar_min: float, row) -> None:
        run, down = row["run"] or 0.0, row["down"] or 0.0
        if run <= EPS:
            run = max(calendar_min - down, 0.0)
            self.run_assumed_days += 1
        planned = calendar_min
        if run + down > calendar_min + EPS:
            planned = run + down
            self.overtime_days += 1
        self.days += 1
        self.reports += row["reports"]
        self.planned += planned
        self.run += run
        self.down += down
        self.good += row["good"] or 0.0
        self.scrap += row["scrap"] or 0.0

    def factors(self) -> tuple[float | None, float | None, float | None, list[str]]:
        """(availability, performance, quality) as fractions, and the notes on assumptions."""
        notes = []
        if self.run_assumed_days:
            notes.append(f"{self.code}: {self.run_assumed_days} day(s) reported no run minutes: run time "
                         "assumed to be planned time less downtime")
        if self.overtime_days:
            notes.append(f"{self.code}: on {self.overtime_days} day(s) run + downtime exceeded the calendar's "
                         "working time: planned time taken as run + downtime")
        if self.planned <= EPS:
            return None, None, None, notes + [f"{self.code}: no planned time (no calendar time, run or downtime)"]
        availability = self.run / self.planned
        output = self.good + self.scrap
        if not self.ideal_rate:
            performance = 1.0
            notes.append(f"{self.code}: no ideal rate: performance assumed 100% (set work_center.ideal_rate, "
                         "units per hour)")
        elif self.run <= EPS:
            performance = 0.0
        else:
            performance = output / (self.ideal_rate * self.run / 60.0)
            if performance > 1.0:
                notes.append(f"{self.code}: output {output:g} in {self.run:g} run min is above the ideal rate "
                             f"{self.ideal_rate:g}/h ({100 * performance:.1f}%): performance capped at 100%")
                performance = 1.0
        if output <= EPS:
            quality = 1.0
            notes.append(f"{self.code}: no output reported: quality assumed 100%")
        else:
            quality = self.good / output
            if self.scrap <= EPS:
                notes.append(f"{self.code}: no scrap recorded: quality taken as 100% (good / (good + 0))")
        return availability, performance, quality, notes


def _calendar_minutes(db: Database, start: date, end: date) -> dict[str, dict[str, float]]:
    """Per work center, per day: working minutes of its calendar × units."""
    zone = clock.zone()
    begin = datetime.combine(start, time(0), tzinfo=zone)
    finish = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    minutes: dict[str, dict[str, float]] = {}
    for wc in db.query("SELECT code, calendar, units FROM work_center"):
        per_day: dict[str, float] = defaultdict(float)
        for a, b in working_intervals(db, wc["calendar"], begin, finish, wc["code"]):
            a, b = a.astimezone(zone), b.astimezone(zone)
            while a < b:
                midnight = datetime.combine(a.date() + timedelta(days=1), time(0), tzinfo=zone)
                piece_end = min(b, midnight)
                per_day[a.date().isoformat()] += (piece_end - a).total_seconds() / 60 * wc["units"]
                a = piece_end
        minutes[wc["code"]] = per_day
    return minutes


def _centers_by_day(db: Database, start: date, end: date) -> dict[str, dict[str, _Center]]:
    """day → work center → its reports that day (calendars read once for the whole range)."""
    rates = {r["code"]: r["ideal_rate"] for r in db.query("SELECT code, ideal_rate FROM work_center")}
    calendar = _calendar_minutes(db, start, end)
    by_day: dict[str, dict[str, _Center]] = defaultdict(dict)
    for row in db.query(_REPORTS_BY_DAY, (start.isoformat(), end.isoformat())):
        center = _Center(row["work_center"], rates.get(row["work_center"]))
        center.add_day(calendar.get(row["work_center"], {}).get(row["day"], 0.0), row)
        by_day[row["day"]][row["work_center"]] = center
    return by_day


def _centers(db: Database, start: date, end: date) -> list[_Center]:
    """Each work center's reports over the whole period, by code."""
    merged: dict[str, _Center] = {}
    for centers in _centers_by_day(db, start, end).values():
        for code, day in centers.items():
            total = merged.setdefault(code, _Center(code, day.ideal_rate))
            for name in ("days", "reports", "planned", "run", "down", "good", "scrap", "run_assumed_days",
                         "overtime_days"):
                setattr(total, name, getattr(total, name) + getattr(day, name))
    for row in db.query(_DOWNTIME_REASONS, (start.isoformat(), end.isoformat())):
        if row["work_center"] in merged:
            merged[row["work_center"]].reasons[row["reason"]] = round(row["minutes"], 2)
    return [merged[code] for code in sorted(merged)]


def _pct(fraction: float | None) -> float | None:
    return None if fraction is None else round(100.0 * fraction, 2)


def _oee_line(center: _Center, target: float) -> OeeLine:
    a, p, q, notes = center.factors()
    oee = None if a is None else a * p * q
    return OeeLine(work_center=center.code, days=center.days, reports=center.reports,
                   planned_min=round(center.planned, 2), run_min=round(center.run, 2),
                   downtime_min=round(center.down, 2), good=center.good, scrap=center.scrap,
                   ideal_rate=center.ideal_rate, availability_pct=_pct(a), performance_pct=_pct(p),
                   quality_pct=_pct(q), oee_pct=_pct(oee), status=_at_least(_pct(oee), target),
                   downtime_by_reason=center.reasons, notes=notes)


def _at_least(value: float | None, target: float) -> str:
    return NA if value is None else OK if value >= target - EPS else BELOW


def _overall(lines: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float] | None:
    """(planned, availability, performance, quality) per work center → overall (A, P, Q, OEE)."""
    planned = sum(t[0] for t in lines)
    run = sum(t[0] * t[1] for t in lines)
    if planned <= EPS:
        return None
    performing = sum(t[0] * t[1] * t[2] for t in lines)
    productive = sum(t[0] * t[1] * t[2] * t[3] for t in lines)
    availability = run / planned
    performance = performing / run if run > EPS else 0.0
    quality = productive / performing if performing > EPS else 1.0
    return availability, performance, quality, productive / planned


def _oee_figure(centers: list[_Center], target: float) -> KpiFigure:
    usable, notes = [], []
    for center in centers:
        a, p, q, said = center.factors()
        notes += said
        if a is not None:
            usable.append((center.planned, a, p, q))
    overall = _overall(usable)
    if not centers:
        notes.append("no shop-floor reports in the period")
    value = None if overall is None else _pct(overall[3])
    if overall is not None:
        notes.insert(0, f"availability {_pct(overall[0])}% × performance {_pct(overall[1])}% × quality "
                        f"{_pct(overall[2])}%")
    planned = sum(t[0] for t in usable)
    return KpiFigure(name="oee", label="OEE, all work centers (availability × performance × quality)",
                     value=value, target=target, unit="%", status=_at_least(value, target),
                     numerator=None if overall is None else round(overall[3] * planned, 2),
                     denominator=round(planned, 2) if usable else None, notes=notes)


# -- turnover -----------------------------------------------------------------------------------

def _turnover_figure(db: Database, days: int, end: date):
    stock = turnover(db, days, end=end)
    target = stock.target_days
    band = float(settings.get(db, "kpi.turnover_band_pct"))
    value = stock.turnover_days
    notes = []
    if stock.uncosted:
        notes.append(f"left out (no cost): {', '.join(stock.uncosted)}")
    if value is None:
        status = NA
        notes.append("nothing was sold or issued to production at a cost in the period")
    else:
        status = OK if abs(value - target) <= target * band / 100 + EPS else OUTSIDE
        notes.append(f"band: {target * (1 - band / 100):g} to {target * (1 + band / 100):g} days "
                     f"(target ± {band:g}%)")
    figure = KpiFigure(name="turnover_days", label="Inventory turnover days (average stock value ÷ daily COGS)",
                       value=value, target=target, unit="days", status=status,
                       numerator=stock.average_value_minor, denominator=stock.daily_cogs_minor, notes=notes)
    return figure, stock


# -- the trend ----------------------------------------------------------------------------------

def kpi_trend(db: Database, end: date, days: int = DEFAULT_DAYS) -> list[KpiDay]:
    """Per day of the `days` ending `end`: on-time delivery, overall OEE, turnover days (30-day window)."""
    if days < 1:
        raise UsageError("the trend needs at least 1 day")
    start = end - timedelta(days=days - 1)
    shipped = _shipped_by_day(db, start, end)
    centers = _centers_by_day(db, start, end)
    window_start = start - timedelta(days=TURNOVER_WINDOW_DAYS - 1)
    stock = daily_stock_value(db, window_start, days + TURNOVER_WINDOW_DAYS - 1)
    trend = []
    for i in range(days):
        day = (start + timedelta(days=i)).isoformat()
        counts = shipped.get(day, _Counts())
        factors = []
        for center in centers.get(day, {}).values():
            a, p, q, _notes = center.factors()
            if a is not None:
                factors.append((center.planned, a, p, q))
        overall = _overall(factors)
        window = stock[i:i + TURNOVER_WINDOW_DAYS]
        value, cogs = sum(v for v, _ in window), sum(c for _, c in window)
        trend.append(KpiDay(day=day, on_time_delivery_pct=counts.pct, on_time_lines=counts.on_time,
                            promised_lines=counts.promised,
                            oee_pct=None if overall is None else _pct(overall[3]),
                            turnover_days=round(value / cogs, 1) if cogs > 1e-6 else None))
    return trend
