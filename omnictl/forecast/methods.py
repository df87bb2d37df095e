"""Forecasting methods vectorised across SKUs: pure numpy, no database.

Data
----
`Y` is a 2-D array: one row per series (a SKU, or a SKU at a location), one column per
period (day, ISO week or month), oldest first. Every row shares the calendar and the last
column is the last complete period. Zeros are periods without demand. A 1-D array is one
series and gives 1-D answers. A series *starts* at its first non-zero period: leading zeros
mean "not sold yet" and are ignored by fitting, backtests, scaling and classification.

Methods (names as reported)
---------------------------
``naive`` last value; ``snaive`` seasonal naive (the last season repeated, season ``m``);
``ma`` moving average (window fitted from ``MA_WINDOWS``); ``ses`` simple exponential
smoothing; ``holt`` additive damped trend; ``hw`` Holt-Winters with additive season ``m``
(with or without a damped trend; a season position with no demand in each of the last 4
seasons of an otherwise selling series, such as a shop's closed day, is forecast as zero);
``croston``; ``sba`` (Syntetos-Boylan approximation, Croston × (1 - α/2)); ``tsb``
(Teunter-Syntetos-Babai: demand probability × size); ``zero`` for a series that never had
demand. Croston and SBA use the larger of the smoothed interval and the current run without
demand, so a SKU that stops selling fades out. Forecasts are never negative.

Fitting: every smoothing method has a small parameter grid (the ``*_GRID`` constants). The
grid is stacked on an extra array axis, so one loop over the periods runs every parameter
value for every series at once; per series the value with the least in-sample one-step
squared error wins. Initial states come from the first periods after the series' start.

Selection (`forecast`)
----------------------
Rolling-origin backtest: origin 1 is ``T - h`` (the last ``h`` periods are held out),
``n_origins`` (default 6) origins step back by ``step`` (default h/4, so the windows overlap;
shrunk when history is short). At each origin every candidate is refitted on the periods
before it only (the grid is scored by the squared error up to that origin) and forecasts
``h`` periods. An origin counts for a series
once the series has ``min_history`` periods before it (default 14 with a weekly season of
days, otherwise 8; initial states use at most that many periods, so no origin sees its
future).

Selection metric: **MASE**, the mean absolute backtest error over all origins and steps
divided by the series' in-sample mean absolute error of the seasonal naive forecast (naive
without a season). The least MASE wins, except that the class default (``hw`` for smooth
and erratic series with two seasons of history, else ``ses``; ``sba`` for intermittent and
lumpy ones) is kept when the winner does not beat it by more than ``margin`` (default 0, so
ties keep the default; other ties go to the simpler method, the order of ``METHODS``) or
when the backtest windows hold fewer than ``min_evidence`` (default 12) periods with
demand: a backtest of a few sales cannot tell methods apart. A series with no backtest
origin gets its class default and a NaN error. Reported for the chosen method: its MASE, WAPE (sum of
absolute errors / sum of actuals over the backtest windows), bias (mean forecast - actual
per period) and ``error_std``, the root mean squared backtest error per period (σ for safety
stock).

Candidates follow the Syntetos-Boylan classification of the series (ADI = periods per
demand period from the start, CV² of the non-zero sizes; cut-offs 1.32 and 0.49):
smooth/erratic series try naive, seasonal naive, moving average, SES, Holt and Holt-Winters;
intermittent/lumpy series try moving average, SES, Holt-Winters, Croston, SBA and TSB (not
naive or seasonal naive, whose forecast of a sparse series is whatever the last day or week
happened to be). ``restrict=False`` lets every series try every method.

Outliers (`detect_outliers`)
----------------------------
A period is a one-off spike when its demand exceeds both ``usual + k × spread`` and
``ratio × usual``. ``usual`` is the larger of the local median (the same season position in
the 4 seasons either side when ``m`` ≤ 7, otherwise a centred window of 13 periods) and the
series' median non-zero demand; ``spread`` is the larger of 1.4826 × the matching MAD (of
that window, or of the series' non-zero sizes) and √usual (the Poisson scale of counts).
Flagged periods are always reported. In smooth and erratic series (continuous demand) they
are always replaced by ``usual`` before fitting and backtesting: one bulk order otherwise
shifts the smoothed level and the weekly season for months (measured on the Online Retail
total in benchmarks/forecast_accuracy.py: Holt-Winters fitted on the raw history was worse
than seasonal naive, fitted on the cleaned one better, and cleaning improved or kept the
WAPE on every dataset there). In intermittent and lumpy series large orders are the demand
pattern (Croston smooths their sizes) and stay, unless ``exclude_outliers=True``, which
replaces them in every series.

Temporal buckets (`aggregate`, `reconcile`)
-------------------------------------------
Weeks are ISO weeks starting on Monday, months calendar months. Consistency policy: forecast
at the day level, then sum days into weeks and months, so days always add up to their week
and to their month (a week that straddles two months gives each month its own days). When a
coarser forecast is trusted for the totals (e.g. a monthly model with a yearly season),
`reconcile` scales each bucket's days proportionally to that total (prorated by the share of
the bucket's days that are forecast) and re-aggregates: the daily shape comes from the day
model, the totals from the coarse one, and the sums stay exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

import numpy as np

METHODS = ("naive", "snaive", "ma", "ses", "holt", "hw", "croston", "sba", "tsb")
CANDIDATES = {
    "smooth": ("naive", "snaive", "ma", "ses", "holt", "hw"),
    "erratic": ("naive", "snaive", "ma", "ses", "holt", "hw"),
    "intermittent": ("ma", "ses", "hw", "croston", "sba", "tsb"),
    "lumpy": ("ma", "ses", "hw", "croston", "sba", "tsb"),
}
CONTINUOUS = ("smooth", "erratic")          # classes fitted on outlier-cleaned history by default
DEFAULT_METHOD = {"smooth": "ses", "erratic": "ses", "intermittent": "sba", "lumpy": "sba"}
SELECTION_MARGIN = 0.0
MIN_EVIDENCE = 12
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49

SES_GRID = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0)
HOLT_ALPHAS, HOLT_BETAS, HOLT_PHIS = (0.05, 0.1, 0.2, 0.35, 0.6, 0.9), (0.01, 0.05, 0.15), (0.9, 0.98, 1.0)
HOLT_GRID = tuple((a, b, phi) for a in HOLT_ALPHAS for b in HOLT_BETAS if b <= a for phi in HOLT_PHIS)
HW_ALPHAS, HW_GAMMAS = (0.01, 0.03, 0.08, 0.15, 0.3, 0.5, 0.8), (0.0, 0.02, 0.06, 0.15, 0.3)
HW_TRENDS = ((0.0, 1.0), (0.02, 0.95))                  # (beta, phi): none, or a damped trend
HW_GRID = tuple((a, b, phi, g) for a in HW_ALPHAS for b, phi in HW_TRENDS for g in HW_GAMMAS if g <= 1 - a)
CROSTON_GRID = (0.05, 0.1, 0.15, 0.2, 0.3)
TSB_ALPHAS, TSB_BETAS = (0.05, 0.1, 0.2, 0.3), (0.01, 0.02, 0.05, 0.1, 0.2)
TSB_GRID = tuple((a, b) for a in TSB_ALPHAS for b in TSB_BETAS)
HW_INIT_CYCLES = 8
CLOSED_SEASONS = 4
CLOSED_OPEN_SHARE = 0.8
MA_WINDOWS = (4, 8, 13, 26)            # without a short season; with m <= 12: m, 2m, 4m and 8m


class OutlierCheck(NamedTuple):
    flags: np.ndarray          # bool, same shape as the history: True = flagged spike
    cleaned: np.ndarray        # the history with flagged periods replaced


class Aggregated(NamedTuple):
    starts: list[date]         # first day of each bucket, ascending
    values: np.ndarray         # (..., buckets) sums
    days: np.ndarray           # number of input days that fell in each bucket


class Hierarchy(NamedTuple):
    days: Aggregated
    weeks: Aggregated
    months: Aggregated


@dataclass
class ForecastResult:
    """Per series (row): the chosen method and its backtest errors, and the forecast."""

    method: list[str]
    forecast: np.ndarray               # (n, h), never negative
    mase: np.ndarray                   # backtest MASE of the chosen method (nan: no backtest)
    wape: np.ndarray                   # backtest WAPE of the chosen method (nan: no actuals)
    bias: np.ndarray                   # mean (forecast - actual) per period in the backtest
    error_std: np.ndarray              # RMSE of the backtest errors per period (σ for safety stock)
    params: list[str]                  # fitted parameters of the chosen method, e.g. "alpha=0.1"
    kind: list[str]                    # smooth / erratic / intermittent / lumpy / none
    adi: np.ndarray
    cv2: np.ndarray
    outliers: np.ndarray               # (n, T) bool, flagged spikes (replaced when excluded)
    scores: dict[str, np.ndarray] = field(default_factory=dict)   # MASE of every candidate
    origins: list[int] = field(default_factory=list)              # backtest origins (column index)
    backtest_horizon: int = 0


# ---------------------------------------------------------------------------- helpers

def _prepare(values) -> tuple[np.ndarray, bool]:
    arr = np.asarray(values, dtype=float)
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError("demand history must be a 1-D or 2-D array (series × periods)")
    if not np.isfinite(arr).all():
        raise ValueError("demand history holds NaN or infinite values")
    return np.ascontiguousarray(arr), single


def _check(Y: np.ndarray, h: int) -> None:
    if h < 1:
        raise ValueError("the horizon must be at least 1 period")
    if Y.shape[1] == 0:
        raise ValueError("at least one period of history is needed")


def _out(arr: np.ndarray, single: bool) -> np.ndarray:
    return arr[0] if single else arr


def first_demand(Y: np.ndarray) -> np.ndarray:
    """Per row, the index of the first non-zero period (the number of periods when none)."""
    nz = np.asarray(Y) != 0
    return np.where(nz.any(axis=1), nz.argmax(axis=1), nz.shape[1])


def _active(T: int, start: np.ndarray, strict: bool = False) -> np.ndarray:
    """(T, n) float mask: 1 where the period is at or after the series' start."""
    t = np.arange(T)[:, None]
    mask = t > start[None, :] if strict else t >= start[None, :]
    return mask.astype(float)


def _all_active_from(start: np.ndarray, T: int) -> int:
    """First period from which every series with demand has started."""
    started = start[start < T]
    return int(started.max()) if len(started) else T


def _gather(Y: np.ndarray, start: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Y[i, start_i : start_i + length] as (n, length) values and a validity mask."""
    T = Y.shape[1]
    idx = start[:, None] + np.arange(length)[None, :]
    valid = idx < T
    vals = np.take_along_axis(Y, np.minimum(idx, T - 1), axis=1)
    return np.where(valid, vals, 0.0), valid


def _mean_masked(vals: np.ndarray, valid: np.ndarray) -> np.ndarray:
    cnt = valid.sum(axis=1)
    return np.where(cnt > 0, (vals * valid).sum(axis=1) / np.maximum(cnt, 1), 0.0)


def _init_length(m: int | None) -> int:
    """Periods of history that initial states use and a backtest origin needs (two weeks of days)."""
    return 2 * m if m and m <= 7 else 8


def _damped_sums(phi: np.ndarray, h: int) -> np.ndarray:
    """(n, h): phi + phi² + … + phi^k for k = 1..h."""
    powers = phi[:, None] ** np.arange(1, h + 1)[None, :]
    return np.cumsum(powers, axis=1)


def _pick(sse: np.ndarray) -> np.ndarray:
    return np.argmin(sse, axis=0)


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, idx[None, :], axis=0)[0]


def _checkpoint_loop(T: int, cps: Sequence[int]):
    """Yield (t, checkpoint index or None): the checkpoint c is reached after period c - 1."""
    at = {c - 1: i for i, c in enumerate(cps)}
    for t in range(T):
        yield t, at.get(t)


# ---------------------------------------------------------------------------- runners
# Each runner fits one family on rows Y (n, T) with starts `start` and returns, for every
# checkpoint c in `cps` (a number of periods seen), the h-step forecasts from c with the
# parameters that had the least squared one-step error before c: {method: (F (C, n, h), P (C, n))}
# where P indexes the family's grid.

def _run_naive(Y, start, cps, h, m):
    n = Y.shape[0]
    F = np.zeros((len(cps), n, h))
    for ci, c in enumerate(cps):
        last = Y[:, c - 1] if c >= 1 else np.zeros(n)
        F[ci] = np.where(c - 1 >= start, last, 0.0)[:, None]
    return {"naive": (F, np.zeros((len(cps), n), int))}


def _run_snaive(Y, start, cps, h, m):
    n = Y.shape[0]
    F = np.zeros((len(cps), n, h))
    steps = np.arange(h) % m
    for ci, c in enumerate(cps):
        if c - m < 0:
            seasonal = np.zeros((n, h))
        else:
            seasonal = Y[:, c - m + steps]
        last = Y[:, c - 1][:, None] if c >= 1 else np.zeros((n, 1))
        enough = (c - m >= start)[:, None]
        F[ci] = np.where(enough, seasonal, np.where((c - 1 >= start)[:, None], last, 0.0))
    return {"snaive": (F, np.zeros((len(cps), n), int))}


def _run_ma(Y, start, cps, h, m, windows):
    n, T = Y.shape
    cum = np.zeros((n, T + 1))
    np.cumsum(Y, axis=1, out=cum[:, 1:])
    t = np.arange(T)[None, :]
    sse_at = np.empty((len(windows), len(cps), n))
    means_at = np.empty((len(windows), len(cps), n))
    for wi, w in enumerate(windows):
        lo = np.maximum(t - w, start[:, None])
        cnt = t - lo
        f = (cum[:, :-1] - np.take_along_axis(cum, lo, axis=1)) / np.maximum(cnt, 1)
        e = np.where(cnt > 0, Y - f, 0.0)
        csse = np.cumsum(e * e, axis=1)
        for ci, c in enumerate(cps):
            sse_at[wi, ci] = csse[:, c - 1]
            lo_c = np.maximum(c - w, start)
            cnt_c = c - lo_c
            means_at[wi, ci] = np.where(
                cnt_c > 0, (cum[:, c] - cum[np.arange(n), np.minimum(lo_c, T)]) / np.maximum(cnt_c, 1), 0.0)
    F = np.empty((len(cps), n, h))
    P = np.empty((len(cps), n), int)
    for ci in range(len(cps)):
        best = _pick(sse_at[:, ci])
        P[ci] = best
        F[ci] = _take(means_at[:, ci], best)[:, None]
    return {"ma": (F, P)}


def _run_ses(Y, start, cps, h, m, grid):
    n, T = Y.shape
    Yt = np.ascontiguousarray(Y.T)
    W = _active(T, start)
    a = np.asarray(grid, dtype=float)[:, None]
    vals, valid = _gather(Y, start, min(_init_length(m), 7))
    level = np.broadcast_to(_mean_masked(vals, valid), (len(grid), n)).copy()
    sse = np.zeros_like(level)
    F = np.empty((len(cps), n, h))
    P = np.empty((len(cps), n), int)
    for t, ci in _checkpoint_loop(T, cps):
        e = (Yt[t] - level) * W[t]
        sse += e * e
        level += a * e
        if ci is not None:
            best = _pick(sse)
            P[ci] = best
            F[ci] = _take(level, best)[:, None]
    return {"ses": (F, P)}


def _trend_init(Y, start, length):
    """Least-squares line over the first `length` periods: level just before start, slope."""
    vals, valid = _gather(Y, start, length)
    x = np.arange(length)[None, :] * valid
    cnt = np.maximum(valid.sum(axis=1), 1)
    mx = x.sum(axis=1) / cnt
    my = (vals * valid).sum(axis=1) / cnt
    dx = (x - mx[:, None]) * valid
    var = (dx * dx).sum(axis=1)
    slope = np.where(var > 0, (dx * (vals - my[:, None])).sum(axis=1) / np.where(var > 0, var, 1), 0.0)
    return my - slope * (mx + 1), slope


def _run_holt(Y, start, cps, h, m, grid):
    n, T = Y.shape
    Yt = np.ascontiguousarray(Y.T)
    W = _active(T, start)
    g = np.asarray(grid, dtype=float)
    a, beta, phi = (g[:, i][:, None] for i in range(3))
    l0, b0 = _trend_init(Y, start, _init_length(m))
    level = np.broadcast_to(l0, (len(grid), n)).copy()
    trend = np.broadcast_to(b0, (len(grid), n)).copy()
    sse = np.zeros_like(level)
    F = np.empty((len(cps), n, h))
    P = np.empty((len(cps), n), int)
    everyone = _all_active_from(start, T)
    for t, ci in _checkpoint_loop(T, cps):
        if t < everyone:                                   # some series not started: hold their state
            w = W[t]
            pb = phi * trend * w
            base = level + pb
            e = (Yt[t] - base) * w
            trend = trend + (pb - trend * w) + beta * e
        else:
            pb = phi * trend
            base = level + pb
            e = Yt[t] - base
            trend = pb + beta * e
        sse += e * e
        level = base + a * e
        if ci is not None:
            best = _pick(sse)
            P[ci] = best
            F[ci] = _take(level, best)[:, None] + _take(trend, best)[:, None] * _damped_sums(g[best, 2], h)
    return {"holt": (F, P)}


def _hw_init(Y, start, m, limit):
    """Level just before start, slope and seasonal offsets (m, n) by season position t % m.

    Fitted on the whole seasons between the start and `limit` (the first backtest origin), at
    least 2 and at most HW_INIT_CYCLES of them: a line through the season means, and the mean
    deviation from it per position. Small smoothing parameters keep these states for long,
    so they are taken from as many seasons as the backtest allows.
    """
    n = Y.shape[0]
    most = HW_INIT_CYCLES
    use = np.clip((limit - start) // m, 2, most)            # seasons used per series
    vals, valid = _gather(Y, start, most * m)
    v = vals.reshape(n, most, m)
    ok = valid.reshape(n, most, m).all(axis=2) & (np.arange(most)[None, :] < use[:, None])
    w = ok.astype(float)
    cnt = np.maximum(w.sum(axis=1), 1)
    means = v.mean(axis=2)
    centre = np.arange(most) * m + (m + 1) / 2              # time of each season's middle (1 = start)
    mx = (w * centre).sum(axis=1) / cnt
    my = (w * means).sum(axis=1) / cnt
    dx = (centre[None, :] - mx[:, None]) * w
    var = (dx * dx).sum(axis=1)
    slope = np.where(var > 0, (dx * (means - my[:, None])).sum(axis=1) / np.where(var > 0, var, 1), 0.0)
    level = my - slope * mx
    x = np.arange(most * m).reshape(most, m)[None, :, :] + 1
    detrended = v - (level[:, None, None] + slope[:, None, None] * x)
    offsets = (detrended * w[:, :, None]).sum(axis=1) / cnt[:, None]    # (n, m) from start
    offsets -= offsets.mean(axis=1, keepdims=True)
    season = np.zeros((m, n))
    pos = (start[:, None] + np.arange(m)[None, :]) % m
    season[pos.T, np.arange(n)[None, :]] = offsets.T
    return level, slope, season


def _run_hw(Y, start, cps, h, m, grid):
    n, T = Y.shape
    Yt = np.ascontiguousarray(Y.T)
    W = _active(T, start)
    g = np.asarray(grid, dtype=float)
    a, beta, phi, gam = (g[:, i][:, None] for i in range(4))
    l0, b0, s0 = _hw_init(Y, start, m, cps[0])
    G = len(grid)
    level = np.broadcast_to(l0, (G, n)).copy()
    trend = b0[None, :] * (beta > 0)                       # no-trend rows keep a zero slope
    S = np.broadcast_to(s0[:, None, :], (m, G, n)).copy()
    sse = np.zeros_like(level)
    F = np.empty((len(cps), n, h))
    P = np.empty((len(cps), n), int)
    cols = np.arange(n)
    everyone = _all_active_from(start, T)
    for t, ci in _checkpoint_loop(T, cps):
        s = S[t % m]
        if t < everyone:                                   # some series not started: hold their state
            w = W[t]
            pb = phi * trend * w
            base = level + pb
            e = (Yt[t] - base - s) * w
            trend = trend + (pb - trend * w) + beta * e
        else:
            pb = phi * trend
            base = level + pb
            e = Yt[t] - base - s
            trend = pb + beta * e
        sse += e * e
        level = base + a * e
        s += gam * e
        if ci is not None:
            c = t + 1
            best = _pick(sse)
            P[ci] = best
            seasonal = S[:, best, cols]                    # (m, n)
            steps = (c + np.arange(h)) % m
            F[ci] = (_take(level, best)[:, None] + _take(trend, best)[:, None] * _damped_sums(g[best, 2], h)
                     + seasonal[steps].T)
            F[ci][_closed_positions(Y, start, c, m)[:, np.arange(h) % m]] = 0.0
    return {"hw": (F, P)}


def _closed_positions(Y, start, c, m):
    """(n, m) bool, column j for the periods c + j, c + j + m, …: closed season positions.

    A season position is closed when it had no demand in each of the last CLOSED_SEASONS
    seasons while the series sold on at least CLOSED_OPEN_SHARE of the other periods of
    those seasons (a shop shut on Sundays); an additive season cannot reach zero there.
    """
    n = Y.shape[0]
    k = CLOSED_SEASONS
    closed = np.zeros((n, m), bool)
    if c - k * m < 0:
        return closed
    recent = Y[:, c - k * m:c].reshape(n, k, m)           # column j is position (c + j) % m
    zero = (recent == 0).all(axis=1)                        # (n, m)
    other = ((recent > 0).sum(axis=(1, 2)) / np.maximum((~zero).sum(axis=1) * k, 1))
    ok = (c - k * m >= start) & (other >= CLOSED_OPEN_SHARE) & zero.any(axis=1) & ~zero.all(axis=1)
    return zero & ok[:, None]


def _intermittent_init(Y, start, length):
    """Mean non-zero size and mean interval over the first `length` periods from start."""
    vals, valid = _gather(Y, start, length)
    nz = (vals > 0) & valid
    count = nz.sum(axis=1)
    size = np.where(count > 0, (vals * nz).sum(axis=1) / np.maximum(count, 1), 0.0)
    interval = np.where(count > 0, valid.sum(axis=1) / np.maximum(count, 1), 1.0)
    return size, np.maximum(interval, 1.0)


def _run_croston(Y, start, cps, h, m, grid):
    """Croston and SBA share the states (size z, interval p); each keeps its own error.

    The interval used for the forecast is the larger of the smoothed interval and the current
    run of periods without demand, so a SKU that stops selling fades out instead of keeping
    its last rate for ever (the classic forecasts are unchanged while the run is shorter).
    """
    n, T = Y.shape
    Yt = np.ascontiguousarray(Y.T)
    W = _active(T, start, strict=True)                     # the first demand is the initial state
    a = np.asarray(grid, dtype=float)[:, None]
    k_sba = 1 - a / 2
    z0, p0 = _intermittent_init(Y, start, _init_length(m))
    z = np.broadcast_to(z0, (len(grid), n)).copy()
    p = np.broadcast_to(p0, (len(grid), n)).copy()
    q = np.zeros(n)
    sse_c = np.zeros_like(z)
    sse_s = np.zeros_like(z)
    out = {name: (np.empty((len(cps), n, h)), np.empty((len(cps), n), int)) for name in ("croston", "sba")}
    for t, ci in _checkpoint_loop(T, cps):
        y, w = Yt[t], W[t]
        f = z / np.maximum(p, q)
        e = (y - f) * w
        sse_c += e * e
        e = (y - f * k_sba) * w
        sse_s += e * e
        q += w
        d = (y > 0) * w
        if d.any():
            ad = a * d
            z += ad * (y - z)
            p += ad * (q - p)
            q *= 1 - d
        if ci is not None:
            for name, sse, factor in (("croston", sse_c, None), ("sba", sse_s, k_sba[:, 0])):
                best = _pick(sse)
                F, P = out[name]
                P[ci] = best
                rate = _take(z, best) / np.maximum(_take(p, best), q)
                if factor is not None:
                    rate = rate * factor[best]
                F[ci] = rate[:, None]
    return out


def _run_tsb(Y, start, cps, h, m, grid):
    n, T = Y.shape
    Yt = np.ascontiguousarray(Y.T)
    W = _active(T, start, strict=True)
    g = np.asarray(grid, dtype=float)
    a, b = g[:, 0][:, None], g[:, 1][:, None]
    z0, p0 = _intermittent_init(Y, start, _init_length(m))
    z = np.broadcast_to(z0, (len(grid), n)).copy()
    prob = np.broadcast_to(1 / p0, (len(grid), n)).copy()
    sse = np.zeros_like(z)
    F = np.empty((len(cps), n, h))
    P = np.empty((len(cps), n), int)
    for t, ci in _checkpoint_loop(T, cps):
        y, w = Yt[t], W[t]
        e = (y - prob * z) * w
        sse += e * e
        d = (y > 0) * w
        prob += b * (d - prob) * w
        z += a * d * (y - z)
        if ci is not None:
            best = _pick(sse)
            P[ci] = best
            F[ci] = (_take(prob, best) * _take(z, best))[:, None]
    return {"tsb": (F, P)}


def _describe(method: str, index: int, m: int | None, windows: Sequence[int]) -> str:
    if method == "ses":
        return f"alpha={SES_GRID[index]:g}"
    if method == "holt":
        a, b, phi = HOLT_GRID[index]
        return f"alpha={a:g} beta={b:g} phi={phi:g}"
    if method == "hw":
        a, b, phi, g = HW_GRID[index]
        return f"m={m} alpha={a:g} gamma={g:g}" + (f" beta={b:g} phi={phi:g}" if b else "")
    if method in ("croston", "sba"):
        return f"alpha={CROSTON_GRID[index]:g}"
    if method == "tsb":
        a, b = TSB_GRID[index]
        return f"alpha={a:g} beta={b:g}"
    if method == "ma":
        return f"window={windows[index]}"
    if method == "snaive":
        return f"m={m}"
    return ""


def _ma_windows(m: int | None) -> tuple[int, ...]:
    if m and m <= 12:
        return tuple(sorted({m, 2 * m, 4 * m, 8 * m}))
    return MA_WINDOWS


def _run_family(family: str, Y, start, cps, h, m, grid=None):
    if family == "naive":
        return _run_naive(Y, start, cps, h, m)
    if family == "snaive":
        return _run_snaive(Y, start, cps, h, m)
    if family == "ma":
        return _run_ma(Y, start, cps, h, m, grid or _ma_windows(m))
    if family == "ses":
        return _run_ses(Y, start, cps, h, m, grid or SES_GRID)
    if family == "holt":
        return _run_holt(Y, start, cps, h, m, grid or HOLT_GRID)
    if family == "hw":
        return _run_hw(Y, start, cps, h, m, grid or HW_GRID)
    if family == "croston":
        return _run_croston(Y, start, cps, h, m, grid or CROSTON_GRID)
    if family == "tsb":
        return _run_tsb(Y, start, cps, h, m, grid or TSB_GRID)
    raise ValueError(f"unknown method '{family}'")


_FAMILY = {"naive": "naive", "snaive": "snaive", "ma": "ma", "ses": "ses", "holt": "holt",
           "hw": "hw", "croston": "croston", "sba": "croston", "tsb": "tsb"}


# ---------------------------------------------------------------------------- single methods

def _single(method: str, values, h: int, m: int | None = None, grid=None) -> np.ndarray:
    Y, single = _prepare(values)
    _check(Y, h)
    start = first_demand(Y)
    out = _run_family(_FAMILY[method], Y, start, [Y.shape[1]], h, m, grid)
    return _out(np.maximum(out[method][0][0], 0.0), single)


def naive(values, h: int) -> np.ndarray:
    """The last observed value, repeated."""
    return _single("naive", values, h)


def seasonal_naive(values, h: int, m: int) -> np.ndarray:
    """The last full season repeated (naive while there is less than one season)."""
    return _single("snaive", values, h, m)


def moving_average(values, h: int, window: int | None = None) -> np.ndarray:
    """Mean of the last `window` periods; fitted per series from MA_WINDOWS when None."""
    return _single("ma", values, h, None, (window,) if window else None)


def ses(values, h: int, alpha: float | None = None) -> np.ndarray:
    """Simple exponential smoothing; alpha fitted per series from SES_GRID when None."""
    return _single("ses", values, h, None, (alpha,) if alpha is not None else None)


def _given(value: float | None, grid: Sequence[float]) -> tuple[float, ...]:
    return tuple(grid) if value is None else (float(value),)


def holt(values, h: int, alpha: float | None = None, beta: float | None = None,
         phi: float | None = None) -> np.ndarray:
    """Additive (damped) trend; unset parameters are fitted per series from the Holt grid."""
    grid = tuple((a, b, p) for a in _given(alpha, HOLT_ALPHAS) for b in _given(beta, HOLT_BETAS)
                 if beta is not None or b <= a for p in _given(phi, HOLT_PHIS))
    grid = grid or tuple((alpha, min(HOLT_BETAS[0], alpha), p) for p in _given(phi, HOLT_PHIS))
    return _single("holt", values, h, None, grid)


def holt_winters(values, h: int, m: int, alpha: float | None = None, gamma: float | None = None,
                 beta: float | None = None, phi: float | None = None) -> np.ndarray:
    """Additive season m (level + optional damped trend); unset parameters are fitted per series
    from the Holt-Winters grid (beta = 0 means no trend)."""
    if m < 2:
        raise ValueError("Holt-Winters needs a season of at least 2 periods")
    if beta is None and phi is None:
        trends = HW_TRENDS
    else:
        b = HW_TRENDS[1][0] if beta is None else float(beta)
        trends = ((b, float(phi) if phi is not None else (1.0 if b == 0 else HW_TRENDS[1][1])),)
    grid = tuple((a, b, p, g) for a in _given(alpha, HW_ALPHAS) for b, p in trends
                 for g in _given(gamma, HW_GAMMAS) if gamma is not None or g <= 1 - a)
    return _single("hw", values, h, m, grid)


def croston(values, h: int, alpha: float | None = None) -> np.ndarray:
    """Croston: smoothed non-zero size / smoothed interval between demands."""
    return _single("croston", values, h, None, (alpha,) if alpha is not None else None)


def sba(values, h: int, alpha: float | None = None) -> np.ndarray:
    """Syntetos-Boylan approximation: Croston × (1 - alpha/2)."""
    return _single("sba", values, h, None, (alpha,) if alpha is not None else None)


def tsb(values, h: int, alpha: float | None = None, beta: float | None = None) -> np.ndarray:
    """Teunter-Syntetos-Babai: smoothed demand probability × smoothed non-zero size."""
    grid = tuple((a, b) for a in _given(alpha, TSB_ALPHAS) for b in _given(beta, TSB_BETAS))
    return _single("tsb", values, h, None, grid)


# ---------------------------------------------------------------------------- classification, outliers

def classify(values) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Syntetos-Boylan class per series: (kind, ADI, CV²) counted from the series' start."""
    Y, _ = _prepare(values)
    T = Y.shape[1]
    start = first_demand(Y)
    active = np.arange(T)[None, :] >= start[:, None]
    nz = (Y > 0) & active
    count = nz.sum(axis=1)
    periods = T - start
    adi = np.where(count > 0, periods / np.maximum(count, 1), np.inf)
    sizes = np.where(nz, Y, 0.0)
    mean = sizes.sum(axis=1) / np.maximum(count, 1)
    var = np.where(nz, (Y - mean[:, None]) ** 2, 0.0).sum(axis=1) / np.maximum(count, 1)
    cv2 = np.where(mean > 0, var / np.where(mean > 0, mean, 1) ** 2, 0.0)
    kinds = []
    for c, d, v in zip(count, adi, cv2):
        if c == 0:
            kinds.append("none")
        elif d < ADI_CUTOFF:
            kinds.append("smooth" if v < CV2_CUTOFF else "erratic")
        else:
            kinds.append("intermittent" if v < CV2_CUTOFF else "lumpy")
    return kinds, adi, cv2


def _nonzero_median_mad(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: count, median and MAD of the positive values (sorting, no Python loop)."""
    n, T = Y.shape
    pos = np.where(Y > 0, Y, 0.0)
    count = (pos > 0).sum(axis=1)
    srt = np.sort(pos, axis=1)
    lo = np.clip(T - count + (count - 1) // 2, 0, T - 1)
    hi = np.clip(T - count + count // 2, 0, T - 1)
    rows = np.arange(n)
    med = np.where(count > 0, (srt[rows, lo] + srt[rows, hi]) / 2, 0.0)
    dev = np.where(pos > 0, np.abs(pos - med[:, None]), np.inf)
    dev.sort(axis=1)
    lo = np.clip((count - 1) // 2, 0, T - 1)
    hi = np.clip(count // 2, 0, T - 1)
    mad = np.where(count > 0, (dev[rows, lo] + dev[rows, hi]) / 2, 0.0)
    return count, med, np.where(np.isfinite(mad), mad, 0.0)


def detect_outliers(values, m: int | None = None, k: float = 5.0, ratio: float = 2.0) -> OutlierCheck:
    """Flag one-off spikes (see the module docstring) and the history with them replaced."""
    Y, single = _prepare(values)
    n, T = Y.shape
    flags = np.zeros((n, T), bool)
    cleaned = Y.copy()
    if T == 0:
        return OutlierCheck(_out(flags, single), _out(cleaned, single))
    start = first_demand(Y)
    _, typical, mad_nz = _nonzero_median_mad(Y)
    candidates = np.nonzero((Y > ratio * typical[:, None]) & (typical[:, None] > 0))
    if m and 2 <= m <= 7:
        offsets = np.array([j * m for j in range(-4, 5)])
    else:
        offsets = np.arange(-6, 7)
    rows_all, cols_all = candidates
    chunk = 100_000
    for lo in range(0, len(rows_all), chunk):
        rows, cols = rows_all[lo:lo + chunk], cols_all[lo:lo + chunk]
        idx = cols[:, None] + offsets[None, :]
        ok = (idx >= start[rows][:, None]) & (idx < T)
        win = np.where(ok, Y[rows[:, None], np.clip(idx, 0, T - 1)], np.nan)
        centre = np.nanmedian(win, axis=1)
        local = centre >= typical[rows]
        mad = np.where(local, np.nanmedian(np.abs(win - centre[:, None]), axis=1), mad_nz[rows])
        usual = np.where(local, centre, typical[rows])
        spread = np.maximum(1.4826 * mad, np.sqrt(usual))
        y = Y[rows, cols]
        hit = (y > usual + k * spread) & (y > ratio * usual)
        flags[rows[hit], cols[hit]] = True
        cleaned[rows[hit], cols[hit]] = usual[hit]
    return OutlierCheck(_out(flags, single), _out(cleaned, single))


# ---------------------------------------------------------------------------- selection

def _backtest_plan(T: int, h: int, n_origins: int, step: int | None, min_history: int):
    """(origins ascending, backtest horizon): origins at T - h, T - h - step, …"""
    h_bt = min(h, T - min_history)
    if h_bt < 1 or n_origins < 1:
        return [], 0
    room = T - h_bt - min_history
    step = step or max(1, h_bt // 4)
    if n_origins > 1:
        step = min(step, room // (n_origins - 1)) if room > 0 else 0
        if step < 1:
            n_origins, step = 1, 1
    return sorted(T - h_bt - k * step for k in range(n_origins)), h_bt


def _mase_scale(Y: np.ndarray, start: np.ndarray, m: int | None) -> np.ndarray:
    """In-sample mean absolute error of the seasonal naive (naive) forecast from the start."""
    lag = m or 1
    T = Y.shape[1]
    if T <= lag:
        return np.full(Y.shape[0], np.nan)
    diff = np.abs(Y[:, lag:] - Y[:, :-lag])
    ok = np.arange(lag, T)[None, :] >= (start + lag)[:, None]
    count = ok.sum(axis=1)
    return np.where(count > 0, (diff * ok).sum(axis=1) / np.maximum(count, 1), np.nan)


def season_for(bucket: str, periods: int) -> int | None:
    """The season length to use: 7 for days, 52 for weeks and 12 for months when the history
    holds at least two full years (yearly season), otherwise none."""
    if bucket == "day":
        return 7
    if bucket == "week":
        return 52 if periods >= 104 else None
    if bucket == "month":
        return 12 if periods >= 24 else None
    raise ValueError(f"unknown bucket '{bucket}' (day, week or month)")


def forecast(values, h: int, *, m: int | None = None, methods: Sequence[str] | None = None,
             n_origins: int = 6, step: int | None = None, min_history: int | None = None,
             exclude_outliers: bool = False, outlier_k: float = 5.0, restrict: bool = True,
             margin: float | None = None, min_evidence: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> ForecastResult:
    """Choose a method per series by rolling-origin backtest MASE and forecast h periods.

    `m` is the season length (7 for days; see `season_for`); `methods` limits the candidates;
    `restrict=False` lets every series try every method regardless of its class. The answer
    is per series even for a 1-D input (a panel of one). `progress(done, total)` is called
    after each family of methods is fitted (the bulk of the work).
    """
    Y_raw, _ = _prepare(values)
    _check(Y_raw, h)
    n, T = Y_raw.shape
    if m is not None and m < 2:
        m = None
    check = detect_outliers(Y_raw, m, outlier_k)
    if exclude_outliers:
        Y = check.cleaned
    else:                                    # continuous demand is always fitted without one-off spikes
        continuous = np.isin(np.array(classify(Y_raw)[0], dtype=object), CONTINUOUS)
        Y = np.where(continuous[:, None], check.cleaned, Y_raw)
    start = first_demand(Y)
    kinds, adi, cv2 = classify(Y)
    kind_arr = np.array(kinds, dtype=object)
    if min_history is None:
        min_history = _init_length(m)
    origins, h_bt = _backtest_plan(T, h, n_origins, step, min_history)
    cps = origins + [T]
    K = len(origins)

    wanted = set(methods) if methods else set(METHODS)
    unknown = wanted - set(METHODS)
    if unknown:
        raise ValueError(f"unknown method(s): {', '.join(sorted(unknown))}")
    origins_arr = np.array(origins, dtype=int)
    valid = (origins_arr[:, None] - start[None, :] >= min_history) if K else np.zeros((0, n), bool)
    has_bt = valid.any(axis=0) if K else np.zeros(n, bool)
    first_valid = np.where(has_bt, origins_arr[np.argmax(valid, axis=0)], -1) if K else np.full(n, -1)

    if margin is None:
        margin = SELECTION_MARGIN
    if min_evidence is None:
        min_evidence = MIN_EVIDENCE
    default = np.array([DEFAULT_METHOD.get(k, "zero") for k in kinds], dtype=object)
    if methods:
        fallback = next(mm for mm in ("sba", "ses", "naive") + tuple(METHODS) if mm in wanted)
        default = np.where(kind_arr == "none", "zero", fallback).astype(object)
    cand: dict[str, np.ndarray] = {}
    for name in METHODS:
        if name not in wanted:
            continue
        mask = (np.array([name in CANDIDATES.get(k, ()) for k in kinds], dtype=bool) if restrict
                else (kind_arr != "none"))
        if name in ("snaive", "hw") and not m:
            mask[:] = False
        if name == "hw" and m:
            mask &= has_bt & (first_valid - start >= 2 * m)
        if name == "snaive" and m:
            mask &= ~has_bt | (first_valid - start >= m)
        mask |= (default == name)
        if mask.any():
            cand[name] = mask

    if "hw" in cand and not methods:
        default = np.where(np.isin(kind_arr, ("smooth", "erratic")) & cand["hw"], "hw", default).astype(object)
    scale = _mase_scale(Y, start, m)
    forecasts = {name: np.zeros((len(cps), n, h)) for name in cand}
    pindex = {name: np.zeros((len(cps), n), int) for name in cand}
    families: dict[str, set[str]] = {}
    for name in cand:
        families.setdefault(_FAMILY[name], set()).add(name)
    for done, (family, names) in enumerate(families.items(), start=1):
        rows = np.nonzero(np.logical_or.reduce([cand[nm] for nm in names]))[0]
        out = _run_family(family, Y[rows], start[rows], cps, h, m)
        for nm in names:
            F, P = out[nm]
            forecasts[nm][:, rows] = np.maximum(F, 0.0)
            pindex[nm][:, rows] = P
        if progress is not None:
            progress(done, len(families))

    # backtest scores
    scores: dict[str, np.ndarray] = {}
    stats: dict[str, tuple[np.ndarray, ...]] = {}
    n_points = valid.sum(axis=0) * h_bt
    if K:
        actual = np.stack([Y[:, o:o + h_bt] for o in origins])               # (K, n, h_bt)
        actual_sum = (actual.sum(axis=2) * valid).sum(axis=0)
    for name, mask in cand.items():
        mae = np.full(n, np.nan)
        if K:
            err = forecasts[name][:K, :, :h_bt] - actual
            w = valid[:, :, None]
            abs_sum = (np.abs(err) * w).sum(axis=(0, 2))
            sq_sum = (err * err * w).sum(axis=(0, 2))
            bias_sum = (err * w).sum(axis=(0, 2))
            ok = mask & has_bt
            mae = np.where(ok, abs_sum / np.maximum(n_points, 1), np.nan)
            with np.errstate(invalid="ignore", divide="ignore"):
                wape = np.where(ok & (actual_sum > 0), abs_sum / actual_sum, np.nan)
            stats[name] = (mae, wape, bias_sum / np.maximum(n_points, 1), np.sqrt(sq_sum / np.maximum(n_points, 1)))
        with np.errstate(invalid="ignore", divide="ignore"):
            scores[name] = np.where(scale > 0, mae / scale, np.where(mae == 0, 0.0, np.inf))
        scores[name] = np.where(np.isnan(mae), np.nan, scores[name])

    # choose: least MAE (= least MASE, the scale is per series), ties to the earlier method
    names = list(cand)
    if names and K:
        maes = np.stack([np.where(cand[nm] & has_bt, stats[nm][0], np.inf) for nm in names])
        maes = np.where(np.isnan(maes), np.inf, maes)
        best = np.argmin(maes, axis=0)
        found = np.isfinite(maes[best, np.arange(n)])
        # keep the default unless the backtest has evidence (demand periods) and it is beaten
        preferred = np.array([names.index(d) if d in names else -1 for d in default])
        cols = np.arange(n)
        d_mae = np.where(preferred >= 0, maes[np.maximum(preferred, 0), cols], np.inf)
        evidence = ((actual > 0) * valid[:, :, None]).sum(axis=(0, 2))
        keep = np.isfinite(d_mae) & ((maes[best, cols] >= (1 - margin) * d_mae) | (evidence < min_evidence))
        best = np.where(keep, preferred, best)
    else:
        best = np.zeros(n, int)
        found = np.zeros(n, bool)
    chosen = [names[best[i]] if found[i] else default[i] for i in range(n)]

    fc = np.zeros((n, h))
    mase = np.full(n, np.nan)
    wape = np.full(n, np.nan)
    bias = np.full(n, np.nan)
    rmse = np.full(n, np.nan)
    params = []
    windows = _ma_windows(m)
    for name in set(chosen):
        rows = np.array([i for i, c in enumerate(chosen) if c == name])
        if name == "zero":
            continue
        fc[rows] = forecasts[name][-1, rows]
        mase[rows] = scores[name][rows]
        if name in stats:
            wape[rows], bias[rows], rmse[rows] = (stats[name][j][rows] for j in (1, 2, 3))
    for i, name in enumerate(chosen):
        params.append("" if name == "zero" else _describe(name, int(pindex[name][-1, i]), m, windows))
    return ForecastResult(method=chosen, forecast=fc, mase=mase, wape=wape, bias=bias, error_std=rmse,
                          params=params, kind=kinds, adi=adi, cv2=cv2, outliers=check.flags,
                          scores=scores, origins=origins, backtest_horizon=h_bt)


# ---------------------------------------------------------------------------- temporal buckets

def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return date.fromisoformat(str(value.astype("datetime64[D]")))
    return date.fromisoformat(str(value)[:10])


def bucket_start(day, bucket: str) -> date:
    """First day of the bucket holding `day`: itself, its ISO week's Monday, its month's 1st."""
    d = _as_date(day)
    if bucket == "day":
        return d
    if bucket == "week":
        return d - timedelta(days=d.weekday())
    if bucket == "month":
        return d.replace(day=1)
    raise ValueError(f"unknown bucket '{bucket}' (day, week or month)")


def bucket_length(first: date, bucket: str) -> int:
    """Number of days in the bucket that starts on `first`."""
    if bucket == "day":
        return 1
    if bucket == "week":
        return 7
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return (nxt - first).days


def aggregate(series, dates: Sequence, bucket: str) -> Aggregated:
    """Sum daily values (last axis, one column per entry of `dates`) into day, ISO-week
    (Monday start) or calendar-month buckets. Dates may come in any order and repeat."""
    arr = np.asarray(series, dtype=float)
    if arr.shape[-1] != len(dates):
        raise ValueError("one date per column is needed")
    keys = [bucket_start(d, bucket) for d in dates]
    starts = sorted(set(keys))
    pos = {k: i for i, k in enumerate(starts)}
    idx = np.array([pos[k] for k in keys], dtype=int)
    if not starts:
        return Aggregated([], np.zeros(arr.shape[:-1] + (0,)), np.zeros(0, int))
    order = np.argsort(idx, kind="stable")
    bounds = np.searchsorted(idx[order], np.arange(len(starts)))
    values = np.add.reduceat(arr[..., order], bounds, axis=-1)
    return Aggregated(starts, values, np.bincount(idx, minlength=len(starts)))


def reconcile(daily, dates: Sequence, totals: Aggregated | tuple | None = None,
              bucket: str = "month") -> Hierarchy:
    """Consistent day / week / month forecasts from a daily forecast (rows = series).

    Without `totals` this is bottom-up: weeks and months are the sums of the days. With
    `totals` = (bucket starts, values (n, buckets)) of a trusted coarser forecast in `bucket`,
    the days of each of those buckets are scaled so that they add up to its total, prorated by
    the share of the bucket's days present in `dates` (days spread evenly when the daily
    forecast of a bucket is all zero); buckets without a total keep their days. Weeks and
    months are then summed from the adjusted days, so each is exactly the sum of its days.
    """
    arr = np.array(daily, dtype=float, copy=True)
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    ds = [_as_date(d) for d in dates]
    if totals is not None:
        t_starts, t_values = totals[0], np.asarray(totals[1], dtype=float)
        if t_values.ndim == 1:
            t_values = t_values[None, :]
        target = {_as_date(s): t_values[:, j] for j, s in enumerate(t_starts)}
        keys = np.array([bucket_start(d, bucket).toordinal() for d in ds])
        for first, want in target.items():
            cols = np.nonzero(keys == first.toordinal())[0]
            if len(cols) == 0:
                continue
            share = len({ds[c] for c in cols}) / bucket_length(first, bucket)
            goal = want * min(share, 1.0)
            have = arr[:, cols].sum(axis=1)
            scaled = arr[:, cols] * np.where(have != 0, goal / np.where(have != 0, have, 1), 0.0)[:, None]
            even = np.repeat((goal / len(cols))[:, None], len(cols), axis=1)
            arr[:, cols] = np.where((have == 0)[:, None], even, scaled)
    day = aggregate(arr, ds, "day")
    week = aggregate(arr, ds, "week")
    month = aggregate(arr, ds, "month")
    if single:
        day, week, month = (Aggregated(a.starts, a.values[0], a.days) for a in (day, week, month))
    return Hierarchy(day, week, month)
