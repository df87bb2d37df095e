"""Forecast accuracy on real daily demand: omnictl's automatic choice vs seasonal naive vs AutoETS.

For each real dataset in ../shared/datasets the daily demand per item (or store, or
sub-category) is built, the last 28 days are held out, and three forecasts of those 28 days
are made from the days before: omnictl's per-series automatic choice
(`omnictl.forecast.methods.forecast`, weekly season m=7), seasonal naive (the last week
repeated) and, when statsforecast is installed (a benchmark-only extra, never a runtime
dependency), `AutoETS(season_length=7)`. Printed per dataset: WAPE (sum of absolute errors /
sum of actuals, pooled over series and days) and MASE (per series, mean absolute error over
the 28 days / in-sample mean absolute error of the seasonal naive forecast from the series'
first sale, averaged over series with a non-zero scale), and the omnictl bias (sum of
forecast / sum of actuals - 1). All forecasts are clipped at zero; every series is given to
every method from its first non-zero day.

This benchmarks the forecasting engine alone, so it reads the CSVs directly with the csv
module rather than through omnictl's import path (the issue's end-to-end benchmark imports
the data and uses `omnictl forecast run --as-of`; that is wired up later). A dataset whose
file is missing is skipped with a note.

Datasets (daily, missing days are zero demand):
  m5_foods          M5 FOODS_3_001..010 at CA_1, units sold (10 items, 115 days)
  rossmann          Rossmann odd stores, daily sales in euros per store (closed days are 0)
  superstore_subcat Superstore quantity per Sub-Category by order date (17 series)
  superstore_items  Superstore quantity per Product ID, items with >= 8 lines before the holdout
  online_retail_items  UCI Online Retail 20k sample, quantity per StockCode; products only
                    (StockCode starting with a digit), no cancelled invoices (C...), no
                    negative quantities or zero prices; items with >= 10 lines before the holdout
  online_retail_total  the same lines summed over all products (1 series)
The online_retail_first5000 file covers only two days and cannot hold out 28; it is skipped.

    python benchmarks/forecast_accuracy.py
    python benchmarks/forecast_accuracy.py --no-ets              # without statsforecast
    python benchmarks/forecast_accuracy.py --cache /tmp/fa       # keep AutoETS results
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from omnictl.forecast.methods import forecast, seasonal_naive

ROOT = Path(__file__).resolve().parent.parent
DATASETS = Path(os.environ.get("OMNICTL_SHARED", ROOT.parent / "shared")) / "datasets"
HOLDOUT = 28
SEASON = 7


def _panel(demand: dict[str, dict[date, float]], first: date, last: date) -> tuple[list[str], list[date], np.ndarray]:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    keys = sorted(demand)
    Y = np.zeros((len(keys), len(days)))
    for r, key in enumerate(keys):
        for d, q in demand[key].items():
            Y[r, index[d]] += q
    return keys, days, Y


def _span(demand):
    all_days = [d for per in demand.values() for d in per]
    return min(all_days), max(all_days)


def load_m5():
    path = DATASETS / "retail_demand" / "m5_foods3_ca1_daily_2016.csv"
    if not path.exists():
        return None
    demand: dict[str, dict[date, float]] = defaultdict(dict)
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            demand[row["item_id"]][date.fromisoformat(row["date"])] = float(row["sales"])
    return _panel(demand, *_span(demand))


def load_rossmann():
    path = DATASETS / "retail_demand" / "rossmann_daily_odd_stores.csv"
    if not path.exists():
        return None
    demand: dict[str, dict[date, float]] = defaultdict(dict)
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            demand[f"store {int(row['Store']):02d}"][date.fromisoformat(row["Date"])] = float(row["Sales"])
    return _panel(demand, *_span(demand))


def _superstore_lines():
    path = DATASETS / "superstore" / "superstore_orders_classic_2014-2017.csv"
    if not path.exists():
        return None
    with open(path, newline="", encoding="utf-8") as fh:
        return [(datetime.strptime(row["Order Date"], "%m/%d/%Y").date(), row["Product ID"], row["Sub-Category"],
                 float(row["Quantity"])) for row in csv.DictReader(fh)]


def load_superstore(level: str):
    lines = _superstore_lines()
    if lines is None:
        return None
    first = min(d for d, *_ in lines)
    last = max(d for d, *_ in lines)
    cut = last - timedelta(days=HOLDOUT)
    demand: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[str, int] = defaultdict(int)
    for d, product, subcat, qty in lines:
        key = subcat if level == "subcat" else product
        demand[key][d] += qty
        counts[key] += d <= cut
    if level == "items":
        demand = {k: v for k, v in demand.items() if counts[k] >= 8}
    return _panel(demand, first, last)


def _online_retail_lines():
    path = DATASETS / "online_retail" / "online_retail_random20k_2010-2011.csv"
    if not path.exists():
        return None
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = row["StockCode"].strip()
            qty, price = float(row["Quantity"]), float(row["UnitPrice"])
            if row["InvoiceNo"].startswith("C") or not code[:1].isdigit() or qty <= 0 or price <= 0:
                continue
            out.append((date.fromisoformat(row["InvoiceDate"][:10]), code, qty))
    return out


def load_online_retail(level: str):
    lines = _online_retail_lines()
    if lines is None:
        return None
    first = min(d for d, *_ in lines)
    last = max(d for d, *_ in lines)
    cut = last - timedelta(days=HOLDOUT)
    demand: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[str, int] = defaultdict(int)
    for d, code, qty in lines:
        key = "all products" if level == "total" else code
        demand[key][d] += qty
        counts[key] += d <= cut
    if level == "items":
        demand = {k: v for k, v in demand.items() if counts[k] >= 10}
    return _panel(demand, first, last)


LOADERS = {
    "m5_foods": load_m5,
    "rossmann": load_rossmann,
    "superstore_subcat": lambda: load_superstore("subcat"),
    "superstore_items": lambda: load_superstore("items"),
    "online_retail_items": lambda: load_online_retail("items"),
    "online_retail_total": lambda: load_online_retail("total"),
}


def mase_scale(train: np.ndarray) -> np.ndarray:
    """In-sample MAE of the seasonal naive forecast, from each series' first non-zero day."""
    scales = np.full(len(train), np.nan)
    for i, y in enumerate(train):
        nz = np.nonzero(y)[0]
        if len(nz) == 0:
            continue
        y = y[nz[0]:]
        if len(y) > SEASON:
            scales[i] = np.mean(np.abs(y[SEASON:] - y[:-SEASON]))
    return scales


def score(fc: np.ndarray, actual: np.ndarray, scale: np.ndarray) -> dict[str, float]:
    err = np.abs(fc - actual)
    ok = scale > 0
    return {"wape": float(err.sum() / actual.sum()),
            "mase": float(np.mean(err[ok].mean(axis=1) / scale[ok])) if ok.any() else float("nan"),
            "bias": float(fc.sum() / actual.sum() - 1)}


def auto_ets(train: np.ndarray, days: list[date], cache: Path | None, name: str) -> tuple[np.ndarray | None, bool]:
    """(AutoETS forecasts or None without statsforecast, whether they came from the cache)."""
    try:
        import pandas as pd
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS
    except ImportError:
        return None, False
    if cache:
        hit = cache / f"{name}_{train.shape[0]}x{train.shape[1]}_{int(train.sum())}.npy"
        if hit.exists():
            return np.load(hit), True
    frames = []
    for i, y in enumerate(train):
        nz = np.nonzero(y)[0]
        if len(nz) == 0:
            continue
        frames.append(pd.DataFrame({"unique_id": i, "ds": pd.to_datetime(days[nz[0]:len(y)]), "y": y[nz[0]:]}))
    fc = np.zeros((len(train), HOLDOUT))
    if frames:
        sf = StatsForecast(models=[AutoETS(season_length=SEASON)], freq="D", n_jobs=2)
        out = sf.forecast(df=pd.concat(frames, ignore_index=True), h=HOLDOUT)
        out = out.reset_index() if "unique_id" not in out.columns else out
        for uid, group in out.groupby("unique_id"):
            fc[int(uid)] = group.sort_values("ds")["AutoETS"].to_numpy()
    fc = np.maximum(np.nan_to_num(fc), 0.0)
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(hit, fc)
    return fc, False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-ets", action="store_true", help="skip statsforecast AutoETS")
    parser.add_argument("--cache", type=Path, help="directory to keep AutoETS forecasts between runs")
    parser.add_argument("--only", nargs="*", help="dataset names to run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    columns = [("omnictl", "omnictl auto"), ("omnictl_x", "auto, outliers excl."),
               ("seasonal_naive", "seasonal naive"), ("autoets", "AutoETS")]
    rows = []
    if not args.json:
        print(f"{'':<20} {'':>6} {'':>5} {'':>5} " + "".join(f"| {title:^20} " for _, title in columns))
        print(f"{'dataset':<20} {'series':>6} {'days':>5} {'zeros':>5} "
              + "| WAPE   MASE   bias  " * len(columns) + "| seconds (omnictl / AutoETS)")
    for name, loader in LOADERS.items():
        if args.only and name not in args.only:
            continue
        data = loader()
        if data is None:
            print(f"{name:<20} skipped: file not found under {DATASETS}", file=sys.stderr)
            continue
        keys, days, Y = data
        train, actual = Y[:, :-HOLDOUT], Y[:, -HOLDOUT:]
        scale = mase_scale(train)
        row = {"dataset": name, "series": len(keys), "days": len(days), "zero_share": float(np.mean(Y == 0))}
        began = time.perf_counter()
        result = forecast(train, HOLDOUT, m=SEASON)
        row["omnictl_seconds"] = time.perf_counter() - began
        row["omnictl"] = score(result.forecast, actual, scale)
        excluded = forecast(train, HOLDOUT, m=SEASON, exclude_outliers=True)
        row["omnictl_x"] = score(excluded.forecast, actual, scale)
        row["outliers_flagged"] = int(excluded.outliers.sum())
        row["seasonal_naive"] = score(seasonal_naive(train, HOLDOUT, SEASON), actual, scale)
        row["autoets"], row["autoets_seconds"] = None, None
        if not args.no_ets:
            began = time.perf_counter()
            fc, cached = auto_ets(train, days, args.cache, name)
            if fc is not None:
                row["autoets_seconds"] = None if cached else time.perf_counter() - began
                row["autoets"] = score(fc, actual, scale)
        methods: dict[str, int] = defaultdict(int)
        for mth in result.method:
            methods[mth] += 1
        row["methods"] = dict(sorted(methods.items(), key=lambda kv: -kv[1]))
        rows.append(row)
        if not args.json:
            cells = "".join(f"| {row[key]['wape']:>5.3f} {row[key]['mase']:>6.3f} {row[key]['bias']:>+5.0%}  "
                            if row[key] else f"| {'-':>5} {'-':>6} {'-':>5}  " for key, _ in columns)
            ets_s = (f"{row['autoets_seconds']:.1f}" if row["autoets_seconds"] is not None
                     else "cached" if row["autoets"] else "-")
            print(f"{name:<20} {len(keys):>6} {len(days):>5} {row['zero_share']:>5.0%} {cells}"
                  f"| {row['omnictl_seconds']:.2f} / {ets_s}")
    if (DATASETS / "online_retail" / "online_retail_first5000_2010-12.csv").exists():
        print("online_retail_first5000 skipped: it covers two days and cannot hold out 28", file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print()
    for row in rows:
        parts = []
        for key, label in (("omnictl", "auto"), ("omnictl_x", "auto, outliers excluded")):
            o, s, e = row[key], row["seasonal_naive"], row["autoets"]
            verdict = ("beats seasonal naive" if o["wape"] <= s["wape"] and o["mase"] <= s["mase"]
                       else "WORSE than seasonal naive")
            if e:
                verdict += (f", WAPE {o['wape'] / e['wape'] - 1:+.1%} vs AutoETS"
                            + (" (within 5%)" if o["wape"] <= 1.05 * e["wape"] else " (target missed)"))
            parts.append(f"{label}: {verdict}")
        print(f"{row['dataset']:<20} " + "; ".join(parts))
        print(f"{'':<20} chosen: {', '.join(f'{k} {v}' for k, v in row['methods'].items())}; "
              f"{row['outliers_flagged']} outlier days flagged")


if __name__ == "__main__":
    main()
