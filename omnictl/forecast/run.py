"""Rolling demand forecasts from order history, stored as versions; accuracy; sales' consensus.

History: every order line but cancelled ones, by `sales_order.ordered_on` (the order date in
the company timezone), components of aliases and kits in master SKUs (the rule of
`omnictl.inventory.demand_history`); a return rung up on its own (negative quantity) is
netted on its day, a line sold and returned counts nothing. Unmapped lines are counted.

A run forecasts every SKU with demand at the day level (`methods.forecast`, weekly season):
the method is chosen per SKU by rolling-origin backtest MASE with a fixed 28-day backtest
horizon, whatever the bucket asked for, so a day, a week and a month run on the same data
agree: weeks and months are sums of the same days (`methods.aggregate`). The periods of a
run are the `horizon` whole buckets starting with the first one that begins after `as_of`
(the last day of actuals; default yesterday, the last complete day). Without a bucket (the
default levels) a run stores days up to the end of the third whole month after `as_of`; its
rows are 3 months, 8 weeks and 14 days summed from them, and `show_forecast` and `accuracy`
read weeks and months of a day run as the sums of the days that cover them. Each SKU's forecast is
also split to locations by their share of its demand over the last 90 days. A run is stored
in one transaction (`forecast_run`, `forecast`). Progress goes to an optional callback
`progress(done, stage)`, done out of `PROGRESS_TOTAL`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from omnictl import clock, settings
from omnictl.db import Database
from omnictl.errors import NotFound, StrictRejects, UsageError, brief
from omnictl.forecast import methods as M
from omnictl.forecast.demand import consensus, latest_daily
from omnictl.inventory import demand_history
from omnictl.models import (ForecastAccuracy, ForecastPoint, ForecastRow, ForecastRunInfo, ForecastSkuInfo,
                            ForecastView, SalesForecastImport)

BUCKETS = ("day", "week", "month")
DEFAULT_HORIZON = {"month": 3, "week": 8, "day": 14}
SELECTION_DAYS = 28            # backtest horizon (days) used to choose the method, for every bucket
SHARE_DAYS = 90                # location split: share of the last 90 days' demand
CHUNK_SKUS = 4000              # SKUs per block through the methods engine (memory, not speed)
DIGITS = 3
PROGRESS_TOTAL = 100
_STAGES = {"history": 10, "choose": 60, "forecast": 20, "store": 10}      # shares of the bar


@dataclass
class History:
    """Demand per SKU (rows) and period (columns, oldest first) in one bucket."""

    bucket: str
    skus: list[str]
    starts: list[date]
    values: np.ndarray
    unmapped_lines: int = 0
    days: list[date] = field(default_factory=list)          # the daily calendar behind it
    daily: np.ndarray | None = None                          # SKUs × days
    by_location: dict[tuple[str, str], float] = field(default_factory=dict)   # recent demand


def _check_bucket(bucket: str) -> str:
    if bucket not in BUCKETS:
        raise UsageError(f"unknown bucket '{bucket}' (day, week or month)")
    return bucket


def _as_of(value: str | date | None) -> date:
    if value is None:
        return clock.today() - timedelta(days=1)
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"'{value}' is not a date (expected YYYY-MM-DD)") from None


def history(db: Database, bucket: str, as_of: str | date | None = None, sku: str | None = None,
            channel: str | None = None, count_unmapped: bool = True) -> History:
    """Demand history up to `as_of` (inclusive; later orders ignored) as SKUs × periods; the
    last period may be partial. SKUs are those with any demand line (sorted). One SKU's reads
    only its lines; the unmapped lines are then counted over the whole book unless not asked."""
    _check_bucket(bucket)
    end = _as_of(as_of)
    rows = demand_history(db, end.isoformat(), channel=channel, sku=sku)
    book = rows if sku is None else demand_history(db, end.isoformat(), channel=channel) if count_unmapped else []
    unmapped = sum(r["lines"] for r in book if r["sku"] is None)
    rows = [r for r in rows if r["sku"] is not None and (sku is None or r["sku"] == sku)]
    skus = sorted({r["sku"] for r in rows})
    if not rows:
        return History(bucket, [], [], np.zeros((0, 0)), unmapped)
    first = min(date.fromisoformat(r["day"][:10]) for r in rows)
    days = [first + timedelta(days=i) for i in range((end - first).days + 1)]
    index = {s: i for i, s in enumerate(skus)}
    daily = np.zeros((len(skus), len(days)))
    recent_from = end - timedelta(days=SHARE_DAYS - 1)
    by_location: dict[tuple[str, str], float] = {}
    for r in rows:
        day = date.fromisoformat(r["day"][:10])
        daily[index[r["sku"]], (day - first).days] += r["quantity"]
        if day >= recent_from and r["location"] is not None:
            key = (r["sku"], r["location"])
            by_location[key] = by_location.get(key, 0.0) + r["quantity"]
    agg = M.aggregate(daily, days, bucket)
    return History(bucket, skus, agg.starts, agg.values, unmapped, days, daily, by_location)


def _first_bucket(after: date, bucket: str) -> date:
    start = M.bucket_start(after, bucket)
    return start if start == after else start + timedelta(days=M.bucket_length(start, bucket))


def _periods(first: date, bucket: str, count: int) -> list[date]:
    out = [first]
    while len(out) < count:
        out.append(out[-1] + timedelta(days=M.bucket_length(out[-1], bucket)))
    return out


def _num(value) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def _shares(hist: History) -> dict[str, dict[str, float]]:
    """Per SKU, each location's share of its recent demand (one pass: a pass per SKU is quadratic)."""
    recent: dict[str, dict[str, float]] = {}
    for (sku, loc), q in hist.by_location.items():
        if q > 0:
            recent.setdefault(sku, {})[loc] = q
    shares = {}
    for sku, by_loc in recent.items():
        total = sum(by_loc.values())
        shares[sku] = {loc: round(q / total, 4) for loc, q in sorted(by_loc.items())}
    return shares


class _Progress:
    """Stages of a run mapped onto one 0..PROGRESS_TOTAL scale for the face's callback."""

    def __init__(self, callback):
        self.callback = callback
        self.base = 0.0

    def stage(self, name: str, label: str):
        """A callback(done, total) for a stage's own steps; the stage starts now."""
        begin, share = self.base, _STAGES[name]
        self.base += share
        self.report(begin, label)

        def step(done: int, total: int) -> None:
            self.report(begin + share * done / max(total, 1), label)
        return step

    def report(self, done: float, label: str) -> None:
        if self.callback is not None:
            self.callback(round(done, 1), label)


def _levels_horizon(end: date) -> int:
    """Days from the day after `end` to the end of the last of the default months (which also
    covers the default weeks and days)."""
    months = _periods(_first_bucket(end + timedelta(days=1), "month"), "month", DEFAULT_HORIZON["month"])
    return (months[-1] + timedelta(days=M.bucket_length(months[-1], "month") - 1) - end).days


def whole_periods(days: dict[str, float], bucket: str) -> dict[str, float]:
    """Day figures (ISO day → quantity) summed into the buckets they cover entirely."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for d, q in days.items():
        start = M.bucket_start(date.fromisoformat(d), bucket).isoformat()
        sums[start] = sums.get(start, 0.0) + q
        counts[start] = counts.get(start, 0) + 1
    return {s: q for s, q in sorted(sums.items())
            if counts[s] == M.bucket_length(date.fromisoformat(s), bucket)}


def run_forecast(db: Database, bucket: str | None = "month", horizon: int | None = None,
                 as_of: str | date | None = None, sku: str | None = None, channel: str | None = None,
                 exclude_outliers: bool = False, actor: str = "omnictl", progress=None) -> ForecastRunInfo:
    """Forecast every SKU with demand (or one), store the version, return it. `bucket=None`:
    the default levels (see the module docstring): one day run reaching the end of the next
    quarter's months, its rows the months, weeks and days summed from it."""
    bar = _Progress(progress)
    levels = bucket is None
    if levels:
        if horizon is not None:
            raise UsageError("--horizon needs --bucket (without it the default levels are forecast)")
        end = _as_of(as_of)
        bucket, horizon = "day", _levels_horizon(end)
    _check_bucket(bucket)
    if horizon is None:
        horizon = DEFAULT_HORIZON[bucket]
    if horizon < 1:
        raise UsageError("--horizon must be at least 1")
    end = _as_of(as_of)
    if channel and db.scalar("SELECT 1 FROM channel WHERE code = ?", (channel,)) is None:
        raise NotFound(f"no channel '{channel}'")
    if sku and db.scalar("SELECT 1 FROM sku WHERE code = ?", (sku,)) is None:
        raise NotFound(f"no master SKU '{sku}'")
    bar.stage("history", "reading order history")
    hist = history(db, "day", end, sku=sku, channel=channel)
    if not hist.skus:
        what = f"SKU {sku}" if sku else "any SKU"
        raise NotFound(f"no demand history for {what} up to {end.isoformat()}")
    periods = _periods(_first_bucket(end + timedelta(days=1), bucket), bucket, horizon)
    last_day = periods[-1] + timedelta(days=M.bucket_length(periods[-1], bucket) - 1)
    h_days = (last_day - end).days
    Y = hist.daily
    chosen = forecast_in_chunks(Y, SELECTION_DAYS, m=7, exclude_outliers=exclude_outliers,
                                progress=bar.stage("choose", f"choosing methods for {len(hist.skus):,} SKUs"))
    daily_fc = np.zeros((len(hist.skus), h_days))
    names = sorted(set(chosen.method) - {"zero"})
    step = bar.stage("forecast", "forecasting")
    for done, name in enumerate(names, start=1):
        rows = np.array([i for i, m in enumerate(chosen.method) if m == name])
        part = forecast_in_chunks(Y[rows], h_days, m=7, methods=[name], exclude_outliers=exclude_outliers)
        daily_fc[rows] = part.forecast
        step(done, len(names))
    if bucket == "day":                     # days are stored rounded: the weeks and months shown sum those
        daily_fc = np.round(daily_fc, DIGITS)
    fc_days = [end + timedelta(days=i + 1) for i in range(h_days)]
    values = _bucket_values(daily_fc, fc_days, bucket, periods)

    shares = _shares(hist)
    infos = [ForecastSkuInfo(sku=s, method=chosen.method[i], params=chosen.params[i], kind=chosen.kind[i],
                             mase=_num(chosen.mase[i]), wape=_num(chosen.wape[i]), bias=_num(chosen.bias[i]),
                             outliers=int(chosen.outliers[i].sum()), locations=shares.get(s, {}))
             for i, s in enumerate(hist.skus)]
    shown = [(b, _periods(_first_bucket(end + timedelta(days=1), b), b, DEFAULT_HORIZON[b])) for b in
             ("month", "week", "day")] if levels else [(bucket, periods)]
    out_rows = [row for b, starts in shown
                for row in _rows(infos, b, starts, _bucket_values(daily_fc, fc_days, b, starts))]
    parameters = {"sku": sku, "channel": channel, "exclude_outliers": exclude_outliers,
                  "selection_days": SELECTION_DAYS, "unmapped_lines": hist.unmapped_lines, "levels": levels}
    created_at = clock.utc_now_iso()
    bar.stage("store", "storing")
    with db.write():
        run_id = db.execute(
            "INSERT INTO forecast_run (created_at, created_by, as_of, bucket, horizon, parameters) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (created_at, actor, end.isoformat(), bucket, horizon, json.dumps(parameters, sort_keys=True))).lastrowid
        db.conn.executemany("INSERT INTO forecast (run_id, sku, location, bucket, period_start, quantity, method, "
                            "mase, wape) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            _stored(run_id, infos, bucket, periods, values))
    bar.report(PROGRESS_TOTAL, "done")
    return ForecastRunInfo(id=run_id, created_at=created_at, created_by=actor, as_of=end.isoformat(), bucket=bucket,
                           horizon=horizon, history_from=hist.days[0].isoformat(),
                           unmapped_lines=hist.unmapped_lines, parameters=parameters, skus=infos, rows=out_rows)


def forecast_in_chunks(Y: np.ndarray, h: int, *, progress=None, chunk: int | None = None, **options) -> M.ForecastResult:
    """`methods.forecast` over blocks of SKUs: each SKU's choice depends on its own series only,
    and the engine holds several SKUs × days arrays per method, so blocks keep memory flat."""
    chunk = chunk or CHUNK_SKUS
    if len(Y) <= chunk:
        return M.forecast(Y, h, progress=progress, **options)
    blocks = range(0, len(Y), chunk)
    parts = []
    for k, lo in enumerate(blocks):
        step = None if progress is None else (lambda done, total, k=k: progress(
            round(1000 * (k + done / max(total, 1)) / len(blocks)), 1000))
        parts.append(M.forecast(Y[lo:lo + chunk], h, progress=step, **options))
    return _joined(parts)


def _joined(parts: list[M.ForecastResult]) -> M.ForecastResult:
    first = parts[0]
    lists = {name: [x for part in parts for x in getattr(part, name)] for name in ("method", "params", "kind")}
    arrays = {name: np.concatenate([getattr(part, name) for part in parts])
              for name in ("forecast", "mase", "wape", "bias", "error_std", "adi", "cv2", "outliers")}
    names = sorted({key for part in parts for key in part.scores})
    scores = {key: np.concatenate([part.scores.get(key, np.full(len(part.method), np.nan)) for part in parts])
              for key in names}
    return type(first)(**lists, **arrays, scores=scores, origins=first.origins,
                       backtest_horizon=first.backtest_horizon)      # both depend on the days only


def _bucket_values(daily: np.ndarray, days: list[date], bucket: str, starts: list[date]) -> np.ndarray:
    """SKUs × `starts`: the days summed into those buckets (each covered whole by `days`)."""
    agg = M.aggregate(daily, days, bucket)
    col = {s: j for j, s in enumerate(agg.starts)}
    return np.round(agg.values[:, [col[p] for p in starts]], DIGITS)


def _rows(infos: list[ForecastSkuInfo], bucket: str, starts: list[date], values: np.ndarray):
    texts = [p.isoformat() for p in starts]
    for i, info in enumerate(infos):
        for j, start in enumerate(texts):
            yield ForecastRow(sku=info.sku, bucket=bucket, period_start=start, quantity=float(values[i, j]),
                              method=info.method)


def _stored(run_id: int, infos: list[ForecastSkuInfo], bucket: str, starts: list[date], values: np.ndarray):
    """The rows to store, one SKU at a time (a run over 50,000 SKUs holds millions of them)."""
    texts = [p.isoformat() for p in starts]
    for i, info in enumerate(infos):
        for j, start in enumerate(texts):
            quantity = float(values[i, j])
            yield run_id, info.sku, None, bucket, start, quantity, info.method, info.mase, info.wape
            for location, share in info.locations.items():
                yield (run_id, info.sku, location, bucket, start, round(quantity * share, DIGITS), info.method,
                       info.mase, info.wape)


# -- show: history, the latest forecast, sales' forecast and the consensus --------------------

_LATEST_RUN = ("SELECT r.id, r.as_of FROM forecast_run r WHERE r.bucket = ? AND json_extract(r.parameters, "
               "'$.channel') IS NULL AND EXISTS (SELECT 1 FROM forecast f WHERE f.run_id = r.id AND f.sku = ?) "
               "ORDER BY r.as_of DESC, r.id DESC LIMIT 1")


def show_forecast(db: Database, sku: str, bucket: str = "month", periods: int = 12) -> ForecastView:
    """The SKU's recent history (up to `periods` buckets) and its latest forecast for the bucket
    (all channels), with sales' forecast and the consensus. Days are the source: the view is the
    latest day run's consensus days (sales' figures spread over them, `demand.latest_daily`)
    summed into the buckets they cover entirely, unless a run of the bucket itself is newer."""
    _check_bucket(bucket)
    if db.scalar("SELECT 1 FROM sku WHERE code = ?", (sku,)) is None:
        raise NotFound(f"no SKU '{sku}'")
    weight = float(settings.get(db, "forecast.sales_weight"))
    run = db.one(_LATEST_RUN, (bucket, sku))
    day_run = db.one(_LATEST_RUN, ("day", sku)) if bucket != "day" else run
    derived = day_run is not None and (run is None or (day_run["as_of"], day_run["id"]) >= (run["as_of"], run["id"]))
    if derived:
        run = day_run
    as_of = date.fromisoformat(run["as_of"]) if run else None
    hist = history(db, bucket, as_of, sku=sku, count_unmapped=False)
    view = ForecastView(sku=sku, bucket=bucket, sales_weight=weight)
    if hist.skus:
        view.history = [ForecastPoint(period_start=s.isoformat(), quantity=round(float(q), DIGITS))
                        for s, q in list(zip(hist.starts, hist.values[0]))[-periods:]]
    sales = {r["period_start"]: (r["quantity"], bool(r["override"])) for r in db.query(
        "SELECT period_start, quantity, override FROM sales_forecast WHERE sku = ? AND bucket = ?", (sku, bucket))}
    if run is None:
        return view
    first = db.one("SELECT method, mase, wape FROM forecast WHERE run_id = ? AND sku = ? AND location IS NULL "
                   "LIMIT 1", (run["id"], sku))
    view.run_id, view.as_of = run["id"], run["as_of"]
    if first:
        view.method, view.mase, view.wape = first["method"], first["mase"], first["wape"]
    if derived:
        entry = latest_daily(db, sku=sku)[sku]
        statistical = whole_periods(entry.statistical, bucket)
        agreed = whole_periods(entry.series.get(None, {}), bucket)
        for start, q in statistical.items():
            s, override = sales.get(start, (None, False))
            view.forecast.append(ForecastPoint(period_start=start, quantity=round(q, DIGITS), sales=s,
                                               override=override, consensus=round(agreed[start], DIGITS)))
        return view
    for r in db.query("SELECT period_start, quantity FROM forecast WHERE run_id = ? AND sku = ? "
                      "AND location IS NULL ORDER BY period_start", (run["id"], sku)):
        s, override = sales.get(r["period_start"], (None, False))
        blended = consensus(r["quantity"], s, weight, override)
        view.forecast.append(ForecastPoint(period_start=r["period_start"], quantity=r["quantity"], sales=s,
                                           override=override, consensus=round(blended, DIGITS)))
    return view


# -- accuracy: stored versions against what happened ------------------------------------------

TOTAL = "(all SKUs)"


def accuracy(db: Database, bucket: str | None = None, channel: str | None = None) -> list[ForecastAccuracy]:
    """Per SKU, bucket and the channel the run was made for (None: every channel), and in total
    over all SKUs: every stored SKU-total forecast of a period that has fully passed (it ends on
    or before yesterday) against the actual demand of that period. A day run also counts at the
    week and month level for the weeks and months it covers entirely (their sums of days)."""
    if bucket is not None:
        _check_bucket(bucket)
    if channel and db.scalar("SELECT 1 FROM channel WHERE code = ?", (channel,)) is None:
        raise NotFound(f"no channel '{channel}'")
    last = clock.today() - timedelta(days=1)
    actual_cache: dict[tuple[str, str | None], dict[tuple[str, str], float]] = {}
    sums: dict[tuple[str, str, str | None], list] = {}
    for run in db.query("SELECT id, bucket, parameters FROM forecast_run ORDER BY id"):
        run_channel = json.loads(run["parameters"]).get("channel")
        if channel is not None and run_channel != channel:
            continue
        stored: dict[str, dict[str, float]] = {}
        for r in db.query("SELECT sku, period_start, quantity FROM forecast WHERE run_id = ? AND location IS NULL",
                          (run["id"],)):
            stored.setdefault(r["sku"], {})[r["period_start"]] = r["quantity"]
        levels = [run["bucket"]] + (["week", "month"] if run["bucket"] == "day" else [])
        for b in levels:
            if bucket is not None and b != bucket:
                continue
            key = (b, run_channel)
            if key not in actual_cache:
                hist = history(db, b, last, channel=run_channel)
                actual_cache[key] = {(s, p.isoformat()): float(hist.values[i, j])
                                     for i, s in enumerate(hist.skus) for j, p in enumerate(hist.starts)}
            actuals = actual_cache[key]
            for s, series in stored.items():
                figures = series if b == run["bucket"] else whole_periods(series, b)
                for start_iso, quantity in figures.items():
                    start = date.fromisoformat(start_iso)
                    if start + timedelta(days=M.bucket_length(start, b) - 1) > last:
                        continue
                    a = actuals.get((s, start_iso), 0.0)
                    for who in (s, TOTAL):
                        acc = sums.setdefault((who, b, run_channel), [set(), 0, 0.0, 0.0, 0.0])
                        acc[0].add(run["id"])
                        acc[1] += 1
                        acc[2] += quantity
                        acc[3] += a
                        acc[4] += abs(quantity - a)
    out = []
    order = {b: i for i, b in enumerate(BUCKETS)}
    for (s, b, ch), (run_ids, n, f, a, abs_err) in sorted(
            sums.items(), key=lambda kv: (kv[0][0] == TOTAL, kv[0][0], order[kv[0][1]], kv[0][2] or "")):
        out.append(ForecastAccuracy(sku=s, bucket=b, channel=ch, runs=len(run_ids), periods=n,
                                    forecast=round(f, DIGITS), actual=round(a, DIGITS),
                                    wape=round(abs_err / a, 4) if a > 0 else None,
                                    bias=round((f - a) / a, 4) if a > 0 else None))
    return out


# -- sales' forecast --------------------------------------------------------------------------

_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def parse_period(text: str) -> tuple[str, date]:
    """`2026-12` (month), `2026-W50` (ISO week), `2026-12-07` (day) → (bucket, first day)."""
    text = text.strip()
    if m := _WEEK.fullmatch(text):
        return "week", date.fromisocalendar(int(m[1]), int(m[2]), 1)
    if m := _MONTH.fullmatch(text):
        return "month", date(int(m[1]), int(m[2]), 1)
    return "day", date.fromisoformat(text)


OVERRIDE_COLUMNS = ("override", "覆盖")


def import_sales(db: Database, path: str | Path, actor: str = "omnictl", strict: bool = False) -> SalesForecastImport:
    """Read sales' forecast (columns sku, period, quantity, by name; any order; optional
    `override` yes/no) and keep it beside the statistical one; a later import of the same SKU
    and period replaces the earlier. A row marked override makes sales' figure the consensus
    for that SKU and period; others are blended by `forecast.sales_weight`. Bad rows are
    rejected one by one with the reason (a row of empty cells too, and a period that ends before
    the order history starts); the good ones land in one transaction. `strict`: any reject
    writes nothing (StrictRejects, exit 1)."""
    from omnictl.master import FALSE, TRUE
    from omnictl.tabular import open_table

    table = open_table(path)
    need = ("sku", "period", "quantity")
    missing = [c for c in need if c not in table.header]
    if missing:
        raise UsageError(f"{Path(path).name}: missing column(s) {', '.join(missing)} (need sku, period, quantity)")
    pos = {c: table.header.index(c) for c in need}
    override_at = next((table.header.index(c) for c in OVERRIDE_COLUMNS if c in table.header), None)
    if override_at is not None:
        pos["override"] = override_at
    known = {r["code"] for r in db.query("SELECT code FROM sku")}
    first_day = db.scalar("SELECT min(ordered_on) FROM sales_order")
    result = SalesForecastImport(file=str(path))
    good: dict[tuple[str, str, str], tuple[float, int]] = {}
    for row_no, values in table.rows():
        if not values:
            continue                                   # a blank line
        result.rows += 1
        if not any(v.strip() for v in values):
            result.rejects.append({"row": row_no, "reason": "the row is empty (every cell blank)"})
            continue
        cell = {c: (values[i].strip() if i < len(values) else "") for c, i in pos.items()}
        reason = None
        try:
            bucket, start = parse_period(cell["period"])
        except ValueError:
            reason = f"period '{cell['period']}' is not a month (2026-12), ISO week (2026-W50) or day (2026-12-07)"
        if reason is None and first_day and \
                start + timedelta(days=M.bucket_length(start, bucket) - 1) < date.fromisoformat(first_day[:10]):
            reason = f"period '{cell['period']}' ends before the order history starts ({first_day[:10]})"
        if reason is None:
            try:
                qty = float(cell["quantity"].replace(",", "."))
                if not np.isfinite(qty) or qty < 0:
                    raise ValueError
            except ValueError:
                reason = f"quantity '{cell['quantity']}' is not a number of at least 0"
        if reason is None and cell["sku"] not in known:
            reason = f"unknown SKU '{cell['sku']}'"
        flag = cell.get("override", "").lower()
        if reason is None and flag not in TRUE | FALSE:
            reason = f"override '{cell['override']}' is not yes or no (yes/no, 1/0, 是/否)"
        if reason:
            result.rejects.append({"row": row_no, "reason": brief(reason)})      # a huge value it quotes is cut
            continue
        good[(cell["sku"], bucket, start.isoformat())] = (qty, int(flag in TRUE))
    result.rejected = len(result.rejects)
    result.imported = len(good)
    result.overrides = sum(flag for _, flag in good.values())
    if strict and result.rejects:
        first = result.rejects[0]
        raise StrictRejects(f"{path}: {result.rejected} row(s) rejected under --strict (first: row {first['row']}, "
                            f"{first['reason']}); nothing was written")
    if good:
        sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        with db.write():
            result.batch_id = db.execute(
                "INSERT INTO sales_forecast_batch (file, sha256, created_at, created_by, rows, rejected) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (Path(path).name, sha, clock.utc_now_iso(), actor, result.rows, result.rejected)).lastrowid
            db.conn.executemany("INSERT OR REPLACE INTO sales_forecast (sku, bucket, period_start, quantity, override, "
                                "batch_id) VALUES (?, ?, ?, ?, ?, ?)",
                                [(s, b, p, q, flag, result.batch_id) for (s, b, p), (q, flag) in good.items()])
    return result
