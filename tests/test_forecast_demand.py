"""Forecast demand for planning and replenishment: consensus with sales, consumption by open
orders, and make-to-stock SKUs planned from the forecast.

Today is 2026-11-25, a Wednesday: the first consumption week is 11-25..11-29, the next
11-30..12-06.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from test_planning import LAMP_ROUTING, Shop, counts, orders

from omnictl.db import open_db
from omnictl.forecast.demand import consensus, consume, latest_daily, unconsumed_days
from omnictl.planning.netting import plan_orders
from omnictl.planning.orders import explain

WED = date(2026, 11, 25)


def store_day_forecast(db, rows, days=14, as_of="2026-11-24"):
    """One stored day run from 2026-11-25: rows of (sku, location or None, quantity per day)."""
    with db.write():
        run = db.execute("INSERT INTO forecast_run (created_at, created_by, as_of, bucket, horizon, parameters) "
                         "VALUES ('2026-11-25T06:00:00Z', 'test', ?, 'day', ?, ?)",
                         (as_of, days, json.dumps({"sku": None, "channel": None}))).lastrowid
        for sku, location, quantity in rows:
            for i in range(days):
                db.execute("INSERT INTO forecast (run_id, sku, location, bucket, period_start, quantity, method, "
                           "mase, wape) VALUES (?, ?, ?, 'day', ?, ?, 'ses', 0.9, 0.3)",
                           (run, sku, location, (WED + timedelta(days=i)).isoformat(), quantity))
    return run


def sales(db, rows):
    """Sales' forecast rows (sku, bucket, period start, quantity, override) by SQL."""
    with db.write():
        batch = db.execute("INSERT INTO sales_forecast_batch (file, sha256, created_at, created_by, rows, rejected) "
                           "VALUES ('s.csv', 'x', '2026-11-25T00:00:00Z', 'test', ?, 0)", (len(rows),)).lastrowid
        db.conn.executemany("INSERT INTO sales_forecast (sku, bucket, period_start, quantity, override, batch_id) "
                            "VALUES (?, ?, ?, ?, ?, ?)", [(*r, batch) for r in rows])


# -- the shared rules ----------------------------------------------------------------------

def test_consensus_blends_or_overrides():
    assert consensus(10, None, 0.5) == 10
    assert consensus(10, 20, 0.25) == pytest.approx(12.5)
    assert consensus(10, 20, 0.25, override=True) == 20


def test_orders_consume_the_forecast_week_by_week():
    daily = [2.0] * 12                                  # 11-25 .. 12-06
    orders = {date(2026, 11, 20): 3.0, date(2026, 11, 27): 4.0, date(2026, 12, 2): 20.0, date(2026, 12, 9): 99.0}
    first, second = consume(WED, daily, orders)
    # an overdue order counts in the first week, one after the last day is left out
    assert (first.start, first.end, first.forecast, first.orders) == (WED, date(2026, 11, 29), 10.0, 7.0)
    assert (first.demand, first.from_forecast) == (10.0, 3.0)
    assert (second.start, second.end, second.forecast, second.orders) == (date(2026, 11, 30), date(2026, 12, 6),
                                                                           14.0, 20.0)
    assert (second.demand, second.from_forecast) == (20.0, 0.0)
    left = unconsumed_days(WED, daily, orders)
    assert left[:5] == pytest.approx([0.6] * 5) and left[5:] == [0.0] * 7


def test_sales_forecast_is_spread_over_days_and_blended_or_overrides(db):
    with db.write():
        db.execute("INSERT INTO location (code, name) VALUES ('A', 'A'), ('B', 'B')")
        db.execute("INSERT INTO sku (code, name) VALUES ('X', 'X'), ('Y', 'Y')")
        db.execute("INSERT INTO setting VALUES ('forecast.sales_weight', '0.5')")
    store_day_forecast(db, [("X", None, 4), ("X", "A", 3), ("X", "B", 1), ("Y", None, 2)])
    # X: sales say 56 for the week of 11-30 (8 a day) blended; Y: 0 on 12-01, overriding
    sales(db, [("X", "week", "2026-11-30", 56, 0), ("Y", "day", "2026-12-01", 0, 1)])
    found = latest_daily(db)
    x, y = found["X"], found["Y"]
    assert x.series[None]["2026-11-29"] == 4 and x.series[None]["2026-11-30"] == pytest.approx(6)
    assert x.series["A"]["2026-11-30"] == pytest.approx(4.5) and x.series["B"]["2026-11-30"] == pytest.approx(1.5)
    assert x.statistical["2026-11-30"] == 4
    assert y.series[None]["2026-12-01"] == 0 and y.series[None]["2026-12-02"] == 2


# -- make-to-stock in plan orders ----------------------------------------------------------

@pytest.fixture
def jars(db):
    """JAR (made, make-to-stock) and LAMP (made to order), 5 of each on hand, a 2-a-day
    forecast for both at WH, a 13-day horizon (11-25 .. 12-07)."""
    shop = Shop(db).sku("JAR", mts=1, routing=LAMP_ROUTING).sku("LAMP", routing=LAMP_ROUTING)
    shop.stock("JAR", 5).stock("LAMP", 5)
    with db.write():
        db.execute("INSERT INTO setting VALUES ('plan.horizon_days', '12')")
    store_day_forecast(db, [("JAR", None, 2), ("JAR", "WH", 2), ("LAMP", None, 2), ("LAMP", "WH", 2)])
    shop.lines = {
        "O2": shop.order("O2", "2026-11-28", ("JAR", 20, 500), ("LAMP", 20, 500)),    # due 11-27
        "O3": shop.order("O3", "2026-12-01", ("JAR", 1, 500)),                         # due 11-30
        "O1": shop.order("O1", "2026-12-02", ("JAR", 8, 500)),                         # due 12-01
    }
    return shop


def test_make_to_stock_demand_is_the_forecast_consumed_by_open_orders(db, jars):
    result = plan_orders(db)
    lines = jars.lines
    assert orders(db) == {
        # week 1: orders of 20 exceed the forecast of 10: no forecast demand; stock 5 covers part
        "MO-000001": ("JAR", 15, "2026-11-27", "order", {lines["O2"][0]: 15}),
        # week 2: forecast 14, orders 9: 5 from the forecast due on its first day, with line O3
        "MO-000002": ("JAR", 6, "2026-11-30", "order", {lines["O3"]: 1}),
        "MO-000003": ("JAR", 8, "2026-12-01", "order", {lines["O1"]: 8}),
        # week 3 (one day, 12-07): forecast 2, no orders
        "MO-000004": ("JAR", 2, "2026-12-07", "stock", {}),
        # made to order: the open line only
        "MO-000005": ("LAMP", 15, "2026-11-27", "order", {lines["O2"][1]: 15}),
    }
    quantities = {o.number: o.forecast_quantity for o in result.orders}
    assert quantities == {"MO-000001": 0, "MO-000002": 5, "MO-000003": 0, "MO-000004": 2, "MO-000005": 0}
    assert any("1 make-to-stock SKU(s) planned from the forecast" in note for note in result.notes)
    assert explain(db, "MO-000002").order.forecast_quantity == 5
    # the same demand again changes nothing
    assert counts(plan_orders(db)) == (0, 0, 0, 5, 0, 0)


def test_a_new_order_consumes_forecast_it_was_foreseen_by(db, jars):
    plan_orders(db)
    jars.order("O5", "2026-12-08", ("JAR", 2, 500))          # due 12-07: consumes week 3's forecast
    result = plan_orders(db)
    # the forecast's stock order becomes the order that serves the line, under the same number
    assert orders(db, "cancelled") == {}
    assert orders(db)["MO-000004"] == ("JAR", 2, "2026-12-07", "order", {_line(db, "O5"): 2})
    assert {o.number: (o.forecast_quantity, o.change) for o in result.orders}["MO-000004"] == (0, "updated")


def _line(db, external_id):
    return db.scalar("SELECT l.id FROM order_line l JOIN sales_order o ON o.id = l.order_id "
                     "WHERE o.external_id = ?", (external_id,))


def test_make_to_stock_without_a_forecast_is_named(db):
    Shop(db).sku("JAR", mts=1, routing=LAMP_ROUTING)
    result = plan_orders(db)
    assert any("have no stored day forecast" in note and "JAR" in note for note in result.notes)


def test_plan_explain_says_what_comes_from_the_forecast(cli, db_path):
    database = open_db(db_path)
    shop = Shop(database).sku("JAR", mts=1, routing=LAMP_ROUTING)
    shop.order("O3", "2026-12-01", ("JAR", 1, 500))
    store_day_forecast(database, [("JAR", "WH", 1), ("JAR", None, 1)])
    database.close()
    assert cli("plan", "orders").code == 0
    # week 1 (11-25..11-29): forecast 5 due today; week 2: forecast 7, the line of 1 due 11-30
    first = cli("plan", "explain", "MO-000001")
    assert first.code == 0 and "5 of 5 from the forecast" in first.stdout
    second = cli("plan", "explain", "MO-000002")
    assert "6 of 7 from the forecast" in second.stdout and "1 for served lines" in second.stdout
    assert cli("plan", "explain", "MO-000002", "--json").json()["order"]["forecast_quantity"] == 6


# -- replenishment nets open orders against the forecast the same way ----------------------

def test_replenish_subtracts_only_the_forecast_open_orders_left(db):
    from omnictl.replenish import replenish_plan

    shop = Shop(db).sku("CUP", lead=3).stock("CUP", 30)
    store_day_forecast(db, [("CUP", "WH", 2), ("CUP", None, 2)])
    shop.order("O1", "2026-11-27", ("CUP", 6, 500))               # week 1: forecast 10, orders 6
    shop.order("O2", "2026-12-02", ("CUP", 20, 500))              # week 2: forecast 14, orders 20
    [cup] = replenish_plan(db, horizon_days=12, sku="CUP")
    assert (cup.on_hand, cup.reserved, cup.daily_forecast) == (30, 26, 2)
    # 4 reserved-free; week 1 loses 4 more (10 − 6) over 5 days, week 2 nothing (orders exceed it)
    assert cup.projection[:5] == pytest.approx([3.2, 2.4, 1.6, 0.8, 0.0])
    assert cup.projection[5:] == pytest.approx([0.0] * 7)
    assert cup.consumed == pytest.approx(6 + 14)
