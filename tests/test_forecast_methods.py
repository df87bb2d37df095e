"""The forecasting engine: methods on series with known answers, selection, outliers, buckets."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import pytest

from omnictl.forecast.methods import (
    aggregate,
    bucket_start,
    classify,
    croston,
    detect_outliers,
    forecast,
    holt,
    holt_winters,
    moving_average,
    naive,
    reconcile,
    sba,
    season_for,
    seasonal_naive,
    ses,
    tsb,
)

CONSTANT = np.full(60, 5.0)
LINEAR = 10 + 2 * np.arange(60.0)                          # 10, 12, …, 128
PATTERN = np.array([3, 8, 9, 10, 12, 20, 0.0])
WEEKLY = 50 + np.tile(PATTERN, 10)                          # 70 days, weekly season
EVERY_FOURTH = np.tile([0, 0, 0, 4.0], 100)                 # 4 units every 4th period


@pytest.mark.parametrize("method", [
    lambda y: naive(y, 4), lambda y: seasonal_naive(y, 4, 7), lambda y: moving_average(y, 4),
    lambda y: ses(y, 4), lambda y: holt(y, 4), lambda y: holt_winters(y, 4, 7), lambda y: croston(y, 4),
    lambda y: tsb(y, 4),
])
def test_every_method_repeats_a_constant(method):
    assert method(CONSTANT).tolist() == [5.0, 5.0, 5.0, 5.0]


def test_sba_discounts_croston_by_half_alpha():
    assert sba(CONSTANT, 2, alpha=0.1).tolist() == [4.75, 4.75]


def test_holt_continues_a_straight_line():
    assert np.allclose(holt(LINEAR, 3), [130, 132, 134])
    damped = holt(LINEAR, 3, phi=0.9)                      # a damped trend flattens out
    assert np.all(np.diff(damped) < 2) and np.all(damped < [130, 132, 134])


def test_seasonal_methods_repeat_the_weekly_pattern():
    expected = [53, 58, 59, 60, 62, 70, 50, 53]
    assert seasonal_naive(WEEKLY, 8, 7).tolist() == expected
    assert np.allclose(holt_winters(WEEKLY, 8, 7), expected)


def test_holt_winters_forecasts_a_closed_day_as_zero():
    shop = np.tile([0, 80, 90, 100, 110, 120, 150.0], 12)    # shut every 7th day
    fc = holt_winters(shop, 7, 7)
    assert fc[0] == 0.0 and np.allclose(fc[1:], [80, 90, 100, 110, 120, 150])


def test_intermittent_methods_on_a_regular_pattern():
    assert np.allclose(croston(EVERY_FOURTH, 2, alpha=0.3), [1.0, 1.0])            # size 4 / interval 4
    assert np.allclose(sba(EVERY_FOURTH, 2, alpha=0.3), [0.85, 0.85])              # × (1 - 0.3/2)
    # TSB: probability settles at b / (1 - (1-b)^4) right after a demand, times size 4
    assert np.allclose(tsb(EVERY_FOURTH, 2, alpha=0.3, beta=0.3), 4 * 0.3 / (1 - 0.7 ** 4))


def test_croston_fades_when_a_sku_stops_selling():
    stopped = np.r_[np.tile([0, 0, 0, 4.0], 25), np.zeros(40)]
    assert np.allclose(croston(stopped, 1, alpha=0.3), [0.1])     # size 4 over the 40-day run
    assert tsb(stopped, 1, alpha=0.3, beta=0.3)[0] < 1e-5


def test_ses_and_moving_average_by_hand():
    assert ses(np.r_[np.full(7, 10.0), 17.0], 2, alpha=0.5).tolist() == [13.5, 13.5]
    assert moving_average(np.arange(1, 11.0), 2, window=3).tolist() == [9.0, 9.0]
    assert ses(np.array([4.0, 9.0]), 1, alpha=1.0).tolist() == [9.0]


def test_leading_zeros_are_not_history():
    late = np.r_[np.zeros(30), LINEAR]
    assert np.allclose(holt(late, 2), [130, 132])
    assert np.allclose(holt_winters(np.r_[np.zeros(30), WEEKLY], 3, 7), [53, 58, 59])


def test_methods_run_across_many_series_at_once():
    panel = np.vstack([CONSTANT, LINEAR, WEEKLY[:60]])
    fc = holt(panel, 2)
    assert fc.shape == (3, 2)
    assert np.allclose(fc[0], 5) and np.allclose(fc[1], [130, 132])


def test_classification_by_adi_and_cv2():
    kinds, adi, cv2 = classify(np.vstack([
        CONSTANT,                                      # every day, same size
        np.tile([1, 9.0], 30),                         # every day, sizes vary
        EVERY_FOURTH[:60],                             # every 4th day, same size
        np.tile([0, 0, 1, 0, 0, 0, 0, 0, 0, 20.0], 6),  # rare and uneven
        np.zeros(60),
    ]))
    assert kinds == ["smooth", "erratic", "intermittent", "lumpy", "none"]
    assert adi[0] == 1.0 and adi[2] == 57 / 15 and cv2[0] == 0.0 and cv2[1] == 0.64


def test_selection_picks_the_right_family():
    rng = np.random.default_rng(1)
    panel = np.vstack([
        np.full(120, 7.0),
        20 + 1.5 * np.arange(120),
        rng.poisson(40 + np.tile([-20, 5, 5, 5, 10, 15, -20.0], 18)[:120]),
        (rng.random(120) < 0.2) * rng.integers(1, 4, 120),
        np.zeros(120),
    ])
    result = forecast(panel, 14, m=7)
    assert result.kind == ["smooth", "smooth", "smooth", "intermittent", "none"]
    assert result.method == ["hw", "holt", "hw", "sba", "zero"]
    assert result.params[1] == "alpha=0.05 beta=0.01 phi=1"
    assert result.origins == [91, 94, 97, 100, 103, 106]             # 6 origins, 3 days apart
    assert result.backtest_horizon == 14
    assert np.allclose(result.forecast[0], 7) and np.allclose(result.forecast[1], 20 + 1.5 * np.arange(120, 134))
    assert result.forecast[4].tolist() == [0.0] * 14
    assert result.mase[0] == 0.0 and result.mase[1] == pytest.approx(0.0, abs=1e-9)
    # the noisy weekly series: Holt-Winters beats seasonal naive, and its errors are reported
    assert result.scores["hw"][2] < result.scores["snaive"][2]
    assert 0 < result.wape[2] < 0.3 and result.error_std[2] > 0
    assert np.isnan(result.scores["holt"][3])              # not a candidate for an intermittent series
    assert np.isnan(result.mase[4])


def test_too_short_history_falls_back_without_a_backtest():
    result = forecast(np.array([[0, 0, 3.0, 5.0]]), 3, m=7)
    assert result.method == ["ses"] and result.origins == [] and np.isnan(result.mase[0])
    assert result.forecast.shape == (1, 3)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        forecast(np.array([1.0, np.nan, 2.0]), 2)
    with pytest.raises(ValueError, match="horizon"):
        ses(CONSTANT, 0)
    with pytest.raises(ValueError, match="unknown method"):
        forecast(CONSTANT, 2, methods=["arima"])


def test_a_one_off_bulk_order_is_flagged_and_can_be_excluded():
    rng = np.random.default_rng(7)
    y = rng.poisson(20, 140).astype(float)
    y[133] = 400.0                                         # a week before the end
    check = detect_outliers(y, 7)
    assert np.nonzero(check.flags)[0].tolist() == [133]
    # replaced by the median of the same weekday in the 4 weeks either side
    assert check.cleaned[133] == 21.0 and np.array_equal(np.delete(check.cleaned, 133), np.delete(y, 133))

    # a smooth series is always fitted without the spike: the demand is Poisson(20)
    default = forecast(y, 7, m=7)
    excluded = forecast(y, 7, m=7, exclude_outliers=True)
    assert np.nonzero(default.outliers[0])[0].tolist() == [133] == np.nonzero(excluded.outliers[0])[0].tolist()
    assert 18 < default.forecast.mean() < 22 and np.allclose(default.forecast, excluded.forecast)


def test_an_intermittent_series_keeps_its_big_orders_unless_they_are_excluded():
    y = np.zeros(140)
    y[::5] = 3.0                                           # a sale every 5th day
    y[130] = 60.0                                          # one bulk order
    default = forecast(y, 7, m=7)
    excluded = forecast(y, 7, m=7, exclude_outliers=True)
    assert default.kind[0] in ("intermittent", "lumpy") and default.outliers[0, 130]
    assert default.forecast.sum() > excluded.forecast.sum()


def test_regular_sizes_of_an_intermittent_sku_are_not_outliers():
    y = EVERY_FOURTH.copy()
    y[200] = 40.0                                          # one order ten times the usual size
    assert np.nonzero(detect_outliers(y).flags)[0].tolist() == [200]
    assert not detect_outliers(EVERY_FOURTH).flags.any()


def test_aggregate_into_iso_weeks_and_months():
    first = date(2026, 11, 25)                             # a Wednesday
    days = [first + timedelta(days=i) for i in range(47)]  # to 2027-01-10, a Sunday
    values = np.vstack([np.arange(47.0), np.ones(47)])
    weeks = aggregate(values, days, "week")
    assert weeks.starts[0] == date(2026, 11, 23) and weeks.starts[-1] == date(2027, 1, 4)
    assert weeks.days.tolist() == [5, 7, 7, 7, 7, 7, 7]
    assert weeks.values[1].tolist() == [5, 7, 7, 7, 7, 7, 7]
    assert weeks.values[0, 0] == 0 + 1 + 2 + 3 + 4 and weeks.values[0].sum() == values[0].sum()
    months = aggregate(values, days, "month")
    assert months.starts == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]
    assert months.values[1].tolist() == [6, 31, 10]
    assert months.values[0, 0] == sum(range(6))
    shuffled = aggregate(values[:, ::-1], days[::-1], "month")   # order of the columns does not matter
    assert np.array_equal(shuffled.values, months.values)
    assert bucket_start("2027-01-03", "week") == date(2026, 12, 28)


def test_reconcile_keeps_days_weeks_and_months_consistent():
    first = date(2026, 11, 25)
    days = [first + timedelta(days=i) for i in range(37)]  # to 2026-12-31
    daily = np.vstack([np.tile([1, 2, 3, 4, 5, 6, 0.0], 6)[:37], np.zeros(37)])
    bottom_up = reconcile(daily, days)
    assert np.array_equal(bottom_up.days.values, daily)
    assert bottom_up.months.values[0].tolist() == [daily[0, :6].sum(), daily[0, 6:].sum()]

    # trusted monthly totals: December = 310 for SKU 0 and 62 for SKU 1 (whose days were all zero)
    totals = ([date(2026, 12, 1)], np.array([[310.0], [62.0]]))
    rec = reconcile(daily, days, totals)
    assert np.allclose(rec.months.values[:, 1], [310.0, 62.0])
    assert rec.months.values[0, 0] == daily[0, :6].sum()           # November had no total: unchanged
    assert np.allclose(rec.days.values[1, 6:], 2.0)                # spread evenly over December
    ratio = rec.days.values[0, 6:] / np.where(daily[0, 6:] > 0, daily[0, 6:], 1)
    assert np.allclose(ratio[daily[0, 6:] > 0], ratio[daily[0, 6:] > 0][0])   # the daily shape is kept
    for level in (rec.weeks, rec.months):                          # every level adds up to the days
        assert np.allclose(level.values.sum(axis=1), rec.days.values.sum(axis=1))
    assert np.allclose(aggregate(rec.days.values, days, "week").values, rec.weeks.values)

    # a month only partly in the horizon gets its share of the total: 6 of 30 November days
    part = reconcile(daily, days, ([date(2026, 11, 1)], np.array([[300.0], [0.0]])), "month")
    assert part.months.values[0, 0] == pytest.approx(60.0)


def test_season_for_buckets():
    assert season_for("day", 30) == 7
    assert season_for("week", 103) is None and season_for("week", 104) == 52
    assert season_for("month", 24) == 12 and season_for("month", 23) is None


def test_engine_loads_no_ui_or_benchmark_libraries():
    code = ("import sys, omnictl.forecast.methods\n"
            "print(','.join(sorted(m for m in ('typer', 'textual', 'rich', 'click', 'pandas', 'statsforecast')"
            " if m in sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
