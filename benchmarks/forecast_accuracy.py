"""Forecast accuracy on real demand, end to end: import, `forecast run --as-of`, compare.

Each dataset in ../shared/datasets is converted to omnictl's own order layout (one CSV row
per order line: order_id, line_id, channel, ordered_at, …; README "omnictl's own order
layout") plus a SKU master file, imported into a fresh temporary database with the normal
importers (`master.import_master`, `importer.import_files`, profile `omnictl`), then
forecast with `run_forecast(bucket='day', horizon=28, as_of=<the day 28 days before the
last day>)`: exactly what `omnictl forecast run --bucket day --horizon 28 --as-of DATE` does.
The 28 days after as-of are compared with the demand the database holds for them.

Beside omnictl's automatic choice, on the same history read back from the database:
seasonal naive (the last week repeated) and, when statsforecast is installed (a
benchmark-only extra, never a runtime dependency), `AutoETS(season_length=7)`. Printed per
dataset: WAPE (sum of absolute errors / sum of actuals, pooled over series and days), MASE
(per series, mean absolute error over the 28 days / in-sample mean absolute error of the
seasonal naive forecast from the series' first sale, averaged over series with a non-zero
scale) and bias (sum of forecast / sum of actuals − 1). All forecasts are clipped at zero.

Datasets (every line is an order line; a day without lines is zero demand):
  m5_foods             M5 FOODS_3_001..010 at CA_1: one order per item and day with sales
  rossmann             Rossmann odd stores: one order per store and open day, quantity =
                       sales in euros, the store as the SKU
  superstore_subcat    Superstore order lines with their Sub-Category as the SKU (17 SKUs)
  superstore_items     Superstore order lines per Product ID, products with >= 8 lines
                       before the holdout
  online_retail_items  UCI Online Retail 20k sample lines per StockCode: products only
                       (StockCode starting with a digit), no cancelled invoices (C…),
                       no negative quantities or zero prices; items with >= 10 lines
                       before the holdout
  online_retail_total  the same lines, every product as one SKU (1 series)
No dataset is sampled: the largest is 20,000 lines. online_retail_first5000 covers two
days and cannot hold out 28; it is skipped.

    python benchmarks/forecast_accuracy.py
    python benchmarks/forecast_accuracy.py --no-ets              # without statsforecast
    python benchmarks/forecast_accuracy.py --cache /tmp/fa       # keep AutoETS results
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from omnictl import clock
from omnictl.db import open_db
from omnictl.forecast.methods import seasonal_naive
from omnictl.forecast.run import history, run_forecast
from omnictl.importer import import_files
from omnictl.master import import_master

ROOT = Path(__file__).resolve().parent.parent
DATASETS = Path(os.environ.get("OMNICTL_SHARED", ROOT.parent / "shared")) / "datasets"
HOLDOUT = 28
SEASON = 7
LAYOUT = ["order_id", "line_id", "channel", "ordered_at", "promised_ship_by", "shipped_at", "payment", "fulfilment",
          "status", "sku", "quantity", "unit_price", "currency", "customer_name", "customer_phone", "customer_email"]


class Line:
    __slots__ = ("order", "day", "sku", "quantity", "price")

    def __init__(self, order: str, day: date, sku: str, quantity: float, price: float = 1.0):
        self.order, self.day, self.sku, self.quantity, self.price = order, day, sku, quantity, price


def _code(text: str) -> str:
    """A SKU code omnictl accepts (letters, digits, - _ .)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text.strip()).strip("-")[:60] or "X"


# -- datasets as order lines ----------------------------------------------------------------

def load_m5():
    path = DATASETS / "retail_demand" / "m5_foods3_ca1_daily_2016.csv"
    if not path.exists():
        return None
    with open(path, newline="", encoding="utf-8") as fh:
        return [Line(f"{r['item_id']}-{r['date']}", date.fromisoformat(r["date"]), r["item_id"], float(r["sales"]),
                     float(r["sell_price"] or 1)) for r in csv.DictReader(fh) if float(r["sales"]) > 0]


def load_rossmann():
    path = DATASETS / "retail_demand" / "rossmann_daily_odd_stores.csv"
    if not path.exists():
        return None
    with open(path, newline="", encoding="utf-8") as fh:
        return [Line(f"S{r['Store']}-{r['Date']}", date.fromisoformat(r["Date"]), f"STORE-{int(r['Store']):02d}",
                     float(r["Sales"])) for r in csv.DictReader(fh) if float(r["Sales"]) > 0]


def _keep_busy(lines: list[Line], least: int) -> list[Line]:
    """Only SKUs with at least `least` lines before the holdout."""
    cut = max(line.day for line in lines) - timedelta(days=HOLDOUT)
    counts: dict[str, int] = defaultdict(int)
    for line in lines:
        counts[line.sku] += line.day <= cut
    return [line for line in lines if counts[line.sku] >= least]


def load_superstore(level: str):
    path = DATASETS / "superstore" / "superstore_orders_classic_2014-2017.csv"
    if not path.exists():
        return None
    with open(path, newline="", encoding="utf-8") as fh:
        lines = [Line(r["Order ID"], datetime.strptime(r["Order Date"], "%m/%d/%Y").date(),
                      _code(r["Sub-Category"] if level == "subcat" else r["Product ID"]), float(r["Quantity"]),
                      float(r["Sales"]) / float(r["Quantity"])) for r in csv.DictReader(fh)]
    return _keep_busy(lines, 8) if level == "items" else lines


def load_online_retail(level: str):
    path = DATASETS / "online_retail" / "online_retail_random20k_2010-2011.csv"
    if not path.exists():
        return None
    lines = []
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            code = r["StockCode"].strip()
            qty, price = float(r["Quantity"]), float(r["UnitPrice"])
            if r["InvoiceNo"].startswith("C") or not code[:1].isdigit() or qty <= 0 or price <= 0:
                continue
            lines.append(Line(r["InvoiceNo"], date.fromisoformat(r["InvoiceDate"][:10]),
                              "ALL-PRODUCTS" if level == "total" else _code(code), qty, price))
    return _keep_busy(lines, 10) if level == "items" else lines


LOADERS = {
    "m5_foods": load_m5,
    "rossmann": load_rossmann,
    "superstore_subcat": lambda: load_superstore("subcat"),
    "superstore_items": lambda: load_superstore("items"),
    "online_retail_items": lambda: load_online_retail("items"),
    "online_retail_total": lambda: load_online_retail("total"),
}


# -- through omnictl --------------------------------------------------------------------------

def write_files(lines: list[Line], folder: Path) -> tuple[Path, Path]:
    """The SKU master and the orders in omnictl's own layout."""
    skus = folder / "skus.csv"
    with open(skus, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["sku", "name"])
        for code in sorted({line.sku for line in lines}):
            out.writerow([code, code])
    orders = folder / "orders.csv"
    per_order: dict[str, int] = defaultdict(int)
    with open(orders, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(LAYOUT)
        for line in sorted(lines, key=lambda x: (x.day, x.order)):
            per_order[line.order] += 1
            day = line.day.isoformat()
            out.writerow([line.order, per_order[line.order], "bench", day, "", day, "paid", "shipped", "", line.sku,
                          f"{line.quantity:g}", f"{line.price:.2f}", "EUR", "", "", ""])
    return skus, orders


def through_omnictl(lines: list[Line], folder: Path) -> dict:
    """Import, forecast as of 28 days before the end, read back history and forecast."""
    skus, orders = write_files(lines, folder)
    last = max(line.day for line in lines)
    as_of = last - timedelta(days=HOLDOUT)
    clock.pin((last + timedelta(days=1)).isoformat())
    db = open_db(folder / "bench.db")
    try:
        began = time.perf_counter()
        import_master(db, "skus", skus)
        [result] = import_files(db, [orders])
        imported = time.perf_counter() - began
        began = time.perf_counter()
        run = run_forecast(db, bucket="day", horizon=HOLDOUT, as_of=as_of)
        forecast_seconds = time.perf_counter() - began
        full = history(db, "day", last)
    finally:
        db.close()
        clock.pin(None)
    index = {s: i for i, s in enumerate(full.skus)}
    fc = np.zeros((len(full.skus), HOLDOUT))
    first_day = as_of + timedelta(days=1)
    for row in run.rows:
        fc[index[row.sku], (date.fromisoformat(row.period_start) - first_day).days] = row.quantity
    methods: dict[str, int] = defaultdict(int)
    for info in run.skus:
        methods[info.method] += 1
    return {"skus": full.skus, "days": full.days, "Y": full.daily, "forecast": fc, "import_seconds": imported,
            "forecast_seconds": forecast_seconds, "lines": result.lines, "rejected": result.rejected,
            "methods": dict(sorted(methods.items(), key=lambda kv: -kv[1]))}


# -- scoring ------------------------------------------------------------------------------------

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


def measure(name: str, lines: list[Line], ets: bool, cache: Path | None) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"omnictl-accuracy-{name}-") as tmp:
        got = through_omnictl(lines, Path(tmp))
    Y = got["Y"]
    train, actual = Y[:, :-HOLDOUT], Y[:, -HOLDOUT:]
    scale = mase_scale(train)
    row = {"dataset": name, "series": len(got["skus"]), "days": len(got["days"]), "lines": got["lines"],
           "rejected": got["rejected"], "zero_share": float(np.mean(Y == 0)),
           "import_seconds": got["import_seconds"], "omnictl_seconds": got["forecast_seconds"],
           "methods": got["methods"], "omnictl": score(got["forecast"], actual, scale),
           "seasonal_naive": score(seasonal_naive(train, HOLDOUT, SEASON), actual, scale),
           "autoets": None, "autoets_seconds": None}
    if ets:
        began = time.perf_counter()
        fc, cached = auto_ets(train, got["days"], cache, name)
        if fc is not None:
            row["autoets_seconds"] = None if cached else time.perf_counter() - began
            row["autoets"] = score(fc, actual, scale)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-ets", action="store_true", help="skip statsforecast AutoETS")
    parser.add_argument("--cache", type=Path, help="directory to keep AutoETS forecasts between runs")
    parser.add_argument("--only", nargs="*", help="dataset names to run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    columns = [("omnictl", "omnictl auto"), ("seasonal_naive", "seasonal naive"), ("autoets", "AutoETS")]
    rows = []
    if not args.json:
        print(f"{'':<20} {'':>6} {'':>5} {'':>5} " + "".join(f"| {title:^20} " for _, title in columns))
        print(f"{'dataset':<20} {'series':>6} {'days':>5} {'zeros':>5} "
              + "| WAPE   MASE   bias  " * len(columns) + "| seconds (import / forecast / AutoETS)")
    for name, loader in LOADERS.items():
        if args.only and name not in args.only:
            continue
        lines = loader()
        if lines is None:
            print(f"{name:<20} skipped: file not found under {DATASETS}", file=sys.stderr)
            continue
        row = measure(name, lines, not args.no_ets, args.cache)
        rows.append(row)
        if not args.json:
            cells = "".join(f"| {row[key]['wape']:>5.3f} {row[key]['mase']:>6.3f} {row[key]['bias']:>+5.0%}  "
                            if row[key] else f"| {'-':>5} {'-':>6} {'-':>5}  " for key, _ in columns)
            ets_s = (f"{row['autoets_seconds']:.1f}" if row["autoets_seconds"] is not None
                     else "cached" if row["autoets"] else "-")
            print(f"{name:<20} {row['series']:>6} {row['days']:>5} {row['zero_share']:>5.0%} {cells}"
                  f"| {row['import_seconds']:.1f} / {row['omnictl_seconds']:.2f} / {ets_s}", flush=True)
    if (DATASETS / "online_retail" / "online_retail_first5000_2010-12.csv").exists():
        print("online_retail_first5000 skipped: it covers two days and cannot hold out 28", file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print()
    for row in rows:
        o, s, e = row["omnictl"], row["seasonal_naive"], row["autoets"]
        verdict = ("not worse than seasonal naive" if o["wape"] <= s["wape"] and o["mase"] <= s["mase"]
                   else "WORSE than seasonal naive")
        if e:
            verdict += (f", WAPE {o['wape'] / e['wape'] - 1:+.1%} vs AutoETS"
                        + (" (within 5%)" if o["wape"] <= 1.05 * e["wape"] else " (target missed)"))
        print(f"{row['dataset']:<20} {verdict}; {row['lines']:,} lines imported, {row['rejected']} rejected")
        print(f"{'':<20} chosen: {', '.join(f'{k} {v}' for k, v in row['methods'].items())}")


if __name__ == "__main__":
    main()
