"""Forecast engine speed: 5,000 SKUs × 730 days, full per-SKU method selection.

Generates seeded synthetic daily demand (40% smooth SKUs with a weekly pattern, 60%
intermittent SKUs), then times `omnictl.forecast.methods.forecast` with a 28-day horizon,
weekly season and 3 backtest origins: every candidate method is fitted on its parameter grid
at each origin and at the end, scored, and the best kept per SKU, with a progress callback
(what `forecast run` gives the terminal's progress bar; here it counts its calls). Target:
well under 20 s.

    python benchmarks/forecast_speed.py
    python benchmarks/forecast_speed.py --skus 1000 --days 365 --exclude-outliers
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

from omnictl.forecast.methods import forecast


def make_demand(skus: int, days: int, seed: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """(demand, (rows, columns) of the injected one-off bulk orders)."""
    rng = np.random.default_rng(seed)
    smooth = round(skus * 0.4)
    Y = np.zeros((skus, days))
    weekday = np.arange(days) % 7
    # smooth: level 5-200 units/day, a weekly profile, a mild trend, Poisson noise
    level = np.exp(rng.uniform(np.log(5), np.log(200), smooth))
    profile = rng.uniform(0.6, 1.4, (smooth, 7))
    profile /= profile.mean(axis=1, keepdims=True)
    trend = 1 + rng.uniform(-0.3, 0.3, smooth)[:, None] * np.arange(days)[None, :] / days
    Y[:smooth] = rng.poisson(level[:, None] * profile[:, weekday] * trend)
    # intermittent: demand on 3-50% of days, sizes 1 + Poisson(mean 0.5-6)
    rest = skus - smooth
    prob = rng.uniform(0.03, 0.5, rest)[:, None]
    size = 1 + rng.poisson(rng.uniform(0.5, 6, rest)[:, None], (rest, days))
    Y[smooth:] = (rng.random((rest, days)) < prob) * size
    # a few one-off bulk orders
    hits = rng.integers(0, skus, skus // 20), rng.integers(0, days, skus // 20)
    Y[hits] += rng.integers(50, 500, len(hits[0]))
    return Y, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=5000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--exclude-outliers", action="store_true")
    args = parser.parse_args()

    Y, hits = make_demand(args.skus, args.days, args.seed)
    print(f"{args.skus:,} SKUs × {args.days} days, {np.mean(Y == 0):.0%} zero days, horizon {args.horizon}")
    times, calls = [], []
    for _ in range(args.repeat):
        began = time.perf_counter()
        result = forecast(Y, args.horizon, m=7, exclude_outliers=args.exclude_outliers,
                          progress=lambda done, total: calls.append((done, total)))
        times.append(time.perf_counter() - began)
    print(f"forecast with selection: median {sorted(times)[len(times) // 2]:.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)}); progress callback called "
          f"{len(calls) // args.repeat} times a run")
    print("methods chosen:", ", ".join(f"{k} {v}" for k, v in Counter(result.method).most_common()))
    print("classes:", ", ".join(f"{k} {v}" for k, v in Counter(result.kind).most_common()))
    injected = np.zeros_like(result.outliers)
    injected[hits] = True
    print(f"outliers flagged: {int(result.outliers.sum())} periods on {int(result.outliers.any(axis=1).sum())} SKUs; "
          f"{int((result.outliers & injected).sum())} of the {int(injected.sum())} injected bulk orders among them")
    print(f"median backtest MASE {np.nanmedian(result.mase):.3f}, WAPE {np.nanmedian(result.wape):.3f}")


if __name__ == "__main__":
    main()
