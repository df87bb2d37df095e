"""KPIs on real data in ../shared/datasets (skipped when absent), each checked against an
independent calculation made here straight from the CSV with the csv module.

- On-time delivery: Olist's delivered orders (items joined with orders through the user
  profiles olist_items + olist_orders in tests/fixtures/kpi/profiles) and Superstore's ship
  dates (user profile superstore; the promise is derived: order date + the channel's 2 days).
- OEE and downtime: the bottling line's daily operation summary, brought in through the
  shop-floor import (one report per summary row; see `_bottling_reports` for the mapping).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime

import pytest

from omnictl.channels import profile
from omnictl.importer import import_files
from omnictl.kpi import kpi_report
from omnictl.shopfloor import import_shopfloor

from conftest import OWN_FIXTURES, SHARED

DATASETS = SHARED / "datasets"
PROFILES = OWN_FIXTURES / "kpi" / "profiles"
EVERYTHING = date(2014, 1, 1), date(2018, 12, 31)


def dataset(relative: str):
    path = DATASETS / relative
    if not path.exists():
        pytest.skip(f"{path} not available (../shared is absent)")
    return path


@pytest.fixture
def user_profiles(monkeypatch):
    monkeypatch.setenv("OMNICTL_PROFILES", str(PROFILES))
    profile._cache = None


def figure(report, name):
    return next(f for f in report.kpis if f.name == name)


def rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# -- on-time delivery ---------------------------------------------------------------------------

def test_olist_on_time_shipping_and_delivery(db, user_profiles):
    orders_path, items_path = dataset("olist/olist_orders_2016-2017.csv"), dataset("olist/olist_order_items_2016-2017.csv")
    results = import_files(db, [orders_path, items_path])
    assert [(r.profile, r.rejected) for r in results] == [("olist_items", 0)]
    orders = {r["order_id"]: r for r in rows(orders_path)}
    items = rows(items_path)
    # independent: a line is on time when the carrier got it on or before the day of the order's
    # shipping limit (omnictl keeps one ship-by per order: its first item's) ...
    first_limit = {}
    for item in items:
        first_limit.setdefault(item["order_id"], item["shipping_limit_date"][:10])
    shipped_on_time = sum(orders[i["order_id"]]["order_delivered_carrier_date"][:10] <= first_limit[i["order_id"]]
                          for i in items)
    # ... and delivered on time when the customer had it by the estimated delivery day
    delivered_on_time = sum(orders[i["order_id"]]["order_delivered_customer_date"][:10]
                            <= orders[i["order_id"]]["order_estimated_delivery_date"][:10] for i in items)
    report = kpi_report(db, *EVERYTHING)
    otd, customer = figure(report, "on_time_delivery"), figure(report, "on_time_to_customer")
    assert (report.shipped_lines, report.unpromised_lines) == (len(items), 0) == (5227, 0)
    assert (otd.numerator, otd.denominator) == (shipped_on_time, len(items))
    assert otd.value == round(100 * shipped_on_time / len(items), 2)
    assert (report.delivered_lines, report.undated_delivered_lines) == (len(items), 0)
    assert (customer.numerator, customer.denominator) == (delivered_on_time, len(items))
    # the dataset's own figure: 237 orders arrived after the estimated day
    late_orders = {o for o, r in orders.items()
                   if r["order_delivered_customer_date"][:10] > r["order_estimated_delivery_date"][:10]}
    assert len(late_orders) == 237
    assert len(items) - delivered_on_time == sum(i["order_id"] in late_orders for i in items)
    # one month: the period filter takes the carrier's day
    march = kpi_report(db, date(2017, 3, 1), date(2017, 3, 31))
    in_march = [i for i in items if orders[i["order_id"]]["order_delivered_carrier_date"].startswith("2017-03")]
    assert figure(march, "on_time_delivery").denominator == len(in_march)


def test_superstore_ship_dates_against_a_derived_promise(db, user_profiles):
    path = dataset("superstore/superstore_orders_classic_2014-2017.csv")
    result, = import_files(db, [path])
    assert (result.profile, result.rejected) == ("superstore", 0)
    assert db.scalar("SELECT lead_time_days FROM channel WHERE code = ?", (result.channel,)) == 2
    lines = rows(path)

    def day(text: str) -> date:
        return datetime.strptime(text, "%m/%d/%Y").date()

    on_time = sum((day(r["Ship Date"]) - day(r["Order Date"])).days <= 2 for r in lines)
    report = kpi_report(db, *EVERYTHING)
    otd = figure(report, "on_time_delivery")
    assert (report.shipped_lines, otd.denominator, otd.numerator) == (len(lines), 9994, on_time)
    assert otd.status == "below target"
    assert figure(report, "on_time_to_customer").status == "n/a"          # no delivery dates in the file
    year = kpi_report(db, date(2016, 1, 1), date(2016, 12, 31))
    shipped_2016 = [r for r in lines if day(r["Ship Date"]).year == 2016]
    assert figure(year, "on_time_delivery").denominator == len(shipped_2016)
    assert figure(year, "on_time_delivery").numerator == sum(
        (day(r["Ship Date"]) - day(r["Order Date"])).days <= 2 for r in shipped_2016)


# -- OEE on the bottling line -------------------------------------------------------------------

IDEAL_RATE = 1500            # units per hour: above every summary row's units ÷ operation hours
SHIFT_MIN = 9 * 60           # the line's calendar: every day 10:00-19:00 ...
HOLIDAY = "2022-07-22"       # ... but this day is off in the calendar (the line ran anyway)


def _bottling_reports(summary, path):
    """One shop-floor report per row of the daily summary: the product type picks the production
    order, good = production_units, run minutes = operation_time_dec × 60, downtime minutes =
    pause_time_dec × 60 (the summary's hours); no scrap is recorded in the dataset."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["date", "production order", "operation", "work center", "good quantity", "run minutes",
                      "downtime minutes", "downtime reason"])
        for r in summary:
            out.writerow([r["date"], f"MO-TYPE{r['product_type_l']}", 10, "BOTTLING", r["production_units"],
                          float(r["operation_time_dec"]) * 60, float(r["pause_time_dec"]) * 60, "pause"])


def _bottling_line(db):
    with db.write():
        db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Warehouse')")
        db.execute("INSERT INTO calendar VALUES ('DAY', '10:00-19:00 every day')")
        for weekday in range(7):
            db.execute("INSERT INTO calendar_shift VALUES ('DAY', ?, '10:00', '19:00')", (weekday,))
        db.execute("INSERT INTO calendar_exception VALUES ('DAY', ?, ?, NULL, 'holiday')", (HOLIDAY, HOLIDAY))
        db.execute("INSERT INTO work_center (code, name, calendar, ideal_rate) VALUES ('BOTTLING', 'Bottling line', "
                   "'DAY', ?)", (IDEAL_RATE,))
        for product in (3, 5):
            db.execute("INSERT INTO sku (code, name) VALUES (?, ?)", (f"TYPE{product}", f"Product type {product}"))
            mo = db.execute("INSERT INTO production_order (number, sku, location, quantity, due_on, status, "
                            "created_at, updated_at) VALUES (?, ?, 'WH', 1000000, '2022-12-31', 'released', "
                            "'2022-07-01T00:00:00Z', '2022-07-01T00:00:00Z')",
                            (f"MO-TYPE{product}", f"TYPE{product}")).lastrowid
            db.execute("INSERT INTO operation (production_id, seq, work_center, setup_min, run_min) "
                       "VALUES (?, 10, 'BOTTLING', 0, 0)", (mo,))


def test_bottling_line_oee_and_downtime(db, tmp_path):
    summary = rows(dataset("manufacturing/bottling_line/daily_operation_summary_2022-07_to_2022-10.csv"))
    _bottling_line(db)
    _bottling_reports(summary, tmp_path / "bottling_reports.csv")
    result = import_shopfloor(db, tmp_path / "bottling_reports.csv")
    assert (result.reports, result.rejected) == (len(summary), 0) == (25, 0)
    # independent: per day, planned = the 9-hour shift (none on the holiday), or run + pause when longer
    by_day = defaultdict(lambda: [0.0, 0.0, 0.0])
    for r in summary:
        totals = by_day[r["date"]]
        totals[0] += float(r["operation_time_dec"]) * 60
        totals[1] += float(r["pause_time_dec"]) * 60
        totals[2] += int(r["production_units"])
    run = sum(t[0] for t in by_day.values())
    down = sum(t[1] for t in by_day.values())
    units = sum(t[2] for t in by_day.values())
    planned = sum(max(0 if day == HOLIDAY else SHIFT_MIN, t[0] + t[1]) for day, t in by_day.items())
    availability, performance = run / planned, units / (IDEAL_RATE * run / 60)
    report = kpi_report(db, date(2022, 7, 1), date(2022, 10, 31))
    line, = report.oee_by_work_center
    assert (line.days, line.reports) == (len(by_day), 25) == (22, 25)
    assert line.planned_min == pytest.approx(planned, abs=0.01)
    assert (line.run_min, line.downtime_min) == (pytest.approx(run, abs=0.01), pytest.approx(down, abs=0.01))
    assert line.downtime_by_reason == {"pause": pytest.approx(down, abs=0.01)}
    assert line.good == units and line.scrap == 0
    assert line.availability_pct == round(100 * availability, 2)
    assert line.performance_pct == round(100 * performance, 2)
    assert line.quality_pct == 100.0
    assert line.oee_pct == round(100 * availability * performance, 2)
    assert any("no scrap recorded" in note for note in line.notes)
    oee = figure(report, "oee")
    assert oee.value == line.oee_pct and oee.status == "below target"
    assert any("exceeded the calendar's working time" in note for note in line.notes)    # the holiday
    # the dataset's own efficiency column is operation ÷ monitored time: on the holiday (no
    # calendar time) planned time is run + downtime, and our availability is that efficiency
    holiday = kpi_report(db, date.fromisoformat(HOLIDAY), date.fromisoformat(HOLIDAY)).oee_by_work_center[0]
    own = next(r for r in summary if r["date"] == HOLIDAY)
    assert holiday.availability_pct == round(100 * float(own["efficiency"]), 2) == 57.45
