"""Rolling forecasts from order history: history buckets, stored versions, accuracy, consensus, CLI."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import numpy as np
import pytest

from omnictl import clock
from omnictl.exporter import COLUMNS
from omnictl.forecast import methods as M
from omnictl.forecast.run import accuracy, history, import_sales, run_forecast, show_forecast
from omnictl.importer import import_files

# (order, line, ordered_at UTC, fulfilment, sku, quantity). Company timezone: Europe/Berlin (UTC+1).
ORDERS = [
    ("O1", "1", "2026-11-02T10:00:00Z", "delivered", "LAMP", 3),
    ("O1", "2", "2026-11-02T10:00:00Z", "cancelled", "BULB", 7),      # cancelled: not demand
    ("O2", "1", "2026-11-08T23:30:00Z", "shipped", "LAMP", 2),        # Sunday in UTC, Monday 9th in Berlin
    ("O3", "1", "2026-11-10T09:00:00Z", "shipped", "LAMP", 5),
    ("O4", "1", "2026-11-11T09:00:00Z", "returned", "LAMP", -1),      # a return rung up on its own: netted
    ("O5", "1", "2026-11-12T09:00:00Z", "returned", "BULB", 4),       # sold and returned: nets to nothing
    ("O6", "1", "2026-11-15T09:00:00Z", "shipped", "MYSTERY", 1),     # unmapped
    ("O7", "1", "2026-11-18T09:00:00Z", "open", "BULB", 2),
    ("O8", "1", "2026-11-23T09:00:00Z", "shipped", "LAMP", 100),      # after --as-of 2026-11-20
]


def write_orders(path, orders=ORDERS):
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        for order, line, at, state, sku, qty in orders:
            writer.writerow({"order_id": order, "line_id": line, "channel": "shop", "ordered_at": at,
                             "payment": "paid", "fulfilment": state, "sku": sku, "quantity": qty,
                             "unit_price": "10.00", "currency": "EUR"})
    return path


@pytest.fixture
def shop(db, tmp_path):
    with db.write():
        db.execute("INSERT INTO setting VALUES ('company.timezone', 'Europe/Berlin')")
        db.execute("INSERT INTO location (code, name) VALUES ('MAIN', 'Main'), ('STORE', 'Store')")
        for code in ("LAMP", "BULB"):
            db.execute("INSERT INTO sku (code, name) VALUES (?, ?)", (code, code))
    clock.set_zone("Europe/Berlin")
    [result] = import_files(db, [write_orders(tmp_path / "orders.csv")])
    assert result.rejected == 0
    with db.write():
        db.execute("UPDATE channel SET location = 'MAIN' WHERE code = 'shop'")
    return db


def test_history_in_company_days_without_cancelled_with_returns_netted(shop):
    weeks = history(shop, "week", "2026-11-24")
    assert weeks.skus == ["BULB", "LAMP"]
    assert [s.isoformat() for s in weeks.starts] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert weeks.values.tolist() == [[0, 0, 2, 0], [3, 6, 0, 100]]
    assert weeks.unmapped_lines == 1
    days = history(shop, "day", "2026-11-12", sku="LAMP")
    assert days.values.tolist() == [[3, 0, 0, 0, 0, 0, 0, 2, 5, -1, 0]]
    months = history(shop, "month", "2026-11-20")
    assert months.values.tolist() == [[2], [9]]          # the 100 on the 23rd is ignored


def test_run_stores_a_version_consistent_across_buckets(shop):
    week = run_forecast(shop, "week", as_of="2026-11-20", actor="ann")
    assert week.as_of == "2026-11-20" and week.horizon == 8 and week.unmapped_lines == 1
    assert week.history_from == "2026-11-02"
    starts = sorted({r.period_start for r in week.rows})
    assert starts[0] == "2026-11-23" and starts[-1] == "2027-01-11" and len(week.rows) == 16
    # the same days behind every bucket: the day run's two weeks equal the week run's
    day = run_forecast(shop, "day", horizon=16, as_of="2026-11-20", actor="ann")
    assert day.rows[0].period_start == "2026-11-21" and len(day.rows) == 32
    lamp_days = [r.quantity for r in day.rows if r.sku == "LAMP"]
    lamp_weeks = [r.quantity for r in week.rows if r.sku == "LAMP"]
    assert sum(lamp_days[2:9]) == pytest.approx(lamp_weeks[0], abs=0.01)
    assert sum(lamp_days[9:16]) == pytest.approx(lamp_weeks[1], abs=0.01)
    # exactly what the methods engine gives for the daily history up to the 20th
    Y = history(shop, "day", "2026-11-20").daily
    chosen = M.forecast(Y, 28, m=7)
    assert [s.method for s in week.skus] == chosen.method
    # one demand day (BULB) and four (LAMP) in 19 days: intermittent, SBA; LAMP's backtest window
    # (the last 5 days, after the 14 needed to start) holds no demand, so no WAPE
    assert [(s.sku, s.method, s.mase, s.wape) for s in week.skus] == [("BULB", "sba", None, None),
                                                                       ("LAMP", "sba", 0.5231, None)]
    assert {(r.sku, r.quantity) for r in week.rows} == {("BULB", 3.967), ("LAMP", 2.289)}
    assert lamp_days[:3] == [0.327, 0.327, 0.327]
    assert shop.scalar("SELECT count(*) FROM forecast_run") == 2
    run = shop.one("SELECT * FROM forecast_run WHERE id = ?", (week.id,))
    assert (run["bucket"], run["horizon"], run["as_of"], run["created_by"]) == ("week", 8, "2026-11-20", "ann")
    # SKU totals plus the split to the only location with recent demand
    assert shop.scalar("SELECT count(*) FROM forecast WHERE run_id = ? AND location IS NULL", (week.id,)) == 16
    assert shop.scalar("SELECT count(*) FROM forecast WHERE run_id = ? AND location = 'MAIN'", (week.id,)) == 16
    assert week.skus[1].locations == {"MAIN": 1.0}


def test_as_of_ignores_later_orders(shop):
    before = history(shop, "day", "2026-11-20")
    later = history(shop, "day", "2026-11-24")
    assert later.daily.sum() - before.daily.sum() == 100
    a = run_forecast(shop, "week", as_of="2026-11-20")
    with shop.write():
        shop.execute("UPDATE order_line SET quantity = 1000 WHERE quantity = 100")
    b = run_forecast(shop, "week", as_of="2026-11-20")
    assert [r.quantity for r in a.rows] == [r.quantity for r in b.rows]


def test_accuracy_compares_passed_periods_with_actuals(shop):
    run_forecast(shop, "day", horizon=3, as_of="2026-11-21", sku="LAMP")
    stored = {r["period_start"]: r["quantity"] for r in shop.query("SELECT * FROM forecast WHERE location IS NULL")}
    assert sorted(stored) == ["2026-11-22", "2026-11-23", "2026-11-24"]
    [row] = accuracy(shop)
    total = sum(stored.values())
    assert (row.sku, row.bucket, row.runs, row.periods, row.actual) == ("LAMP", "day", 1, 3, 100.0)
    err = sum(abs(q - (100 if p == "2026-11-23" else 0)) for p, q in stored.items())
    assert row.wape == pytest.approx(round(err / 100, 4))
    assert row.bias == pytest.approx(round((total - 100) / 100, 4))


def test_sales_forecast_import_and_consensus(shop, tmp_path):
    run = run_forecast(shop, "month", as_of="2026-11-20")
    assert [r.period_start for r in run.rows if r.sku == "LAMP"] == ["2026-12-01", "2027-01-01", "2027-02-01"]
    path = tmp_path / "sales.csv"
    path.write_text("Quantity,SKU,Period\n40,LAMP,2026-12\n5,NOPE,2026-12\nmany,LAMP,2027-01\n3,BULB,2026-13\n",
                    encoding="utf-8")
    result = import_sales(shop, path, actor="sales")
    assert (result.rows, result.imported, result.rejected) == (4, 1, 3)
    assert [r["row"] for r in result.rejects] == [3, 4, 5]
    assert "unknown SKU 'NOPE'" in result.rejects[0]["reason"]
    view = show_forecast(shop, "LAMP", "month")
    stat = next(r.quantity for r in run.rows if r.sku == "LAMP" and r.period_start == "2026-12-01")
    dec = view.forecast[0]
    assert (dec.period_start, dec.quantity, dec.sales) == ("2026-12-01", stat, 40.0)
    assert dec.consensus == pytest.approx(round(0.5 * 40 + 0.5 * stat, 3))
    assert view.forecast[1].sales is None and view.forecast[1].consensus == view.forecast[1].quantity
    assert [p.quantity for p in view.history] == [9.0]


def test_cli_run_json_show_accuracy_and_exit_codes(shop, cli, db_path, tmp_path):
    shop.conn.execute("VACUUM INTO ?", (str(db_path),))
    result = cli("forecast", "run", "--bucket", "week", "--horizon", "2", "--as-of", "2026-11-20", "--json")
    assert result.code == 0, result
    rows = result.json()
    assert len(rows) == 4 and set(rows[0]) == {"sku", "bucket", "period_start", "quantity", "method"}
    assert [(r["sku"], r["bucket"], r["period_start"]) for r in rows[:2]] == [
        ("BULB", "week", "2026-11-23"), ("BULB", "week", "2026-11-30")]
    assert "1 order line(s) are not mapped" in result.stderr
    shown = cli("forecast", "show", "LAMP", "--bucket", "week")
    assert shown.code == 0 and "method" in shown.stdout and "2026-11-23 F" in shown.stdout
    assert cli("forecast", "accuracy", "--json").json() == []        # no week has passed yet
    assert cli("forecast", "run", "--sku", "NOPE").code == 2
    assert cli("forecast", "run", "--bucket", "year").code == 2
    assert cli("forecast", "show", "NOPE").code == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,period,quantity\nNOPE,2026-12,1\n", encoding="utf-8")
    assert cli("forecast", "import-sales", str(bad)).code == 1


def test_sales_override_replaces_the_statistical_figure_for_chosen_rows(shop, cli, db_path, tmp_path):
    run = run_forecast(shop, "month", as_of="2026-11-20")
    stat = {r.period_start: r.quantity for r in run.rows if r.sku == "LAMP"}
    path = tmp_path / "sales.csv"
    path.write_text("sku,period,quantity,覆盖\nLAMP,2026-12,40,是\nLAMP,2027-01,10,no\nLAMP,2027-02,9,maybe\n",
                    encoding="utf-8")
    result = import_sales(shop, path)
    assert (result.imported, result.overrides, result.rejected) == (2, 1, 1)
    assert "override 'maybe' is not yes or no" in result.rejects[0]["reason"]
    dec, jan, feb = show_forecast(shop, "LAMP", "month").forecast
    assert (dec.quantity, dec.sales, dec.override, dec.consensus) == (stat["2026-12-01"], 40, True, 40)
    assert (jan.sales, jan.override) == (10, False)
    assert jan.consensus == pytest.approx(round(0.5 * 10 + 0.5 * stat["2027-01-01"], 3))
    assert feb.sales is None and feb.consensus == feb.quantity
    shop.conn.execute("VACUUM INTO ?", (str(db_path),))
    shown = cli("forecast", "show", "LAMP")
    assert shown.code == 0 and "sales 40.0, overrides" in shown.stdout and "sales 10.0, weight 0.5" in shown.stdout
    assert cli("forecast", "show", "LAMP", "--json").json()["forecast"][0]["override"] is True
    # a file with no usable row is exit 1 and writes nothing
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,period,quantity,override\nLAMP,2026-12,40,perhaps\n", encoding="utf-8")
    rejected = cli("forecast", "import-sales", str(bad))
    assert rejected.code == 1 and "row 2: override 'perhaps'" in rejected.stderr


def test_a_run_reports_its_progress_through_the_callback(shop):
    seen = []
    run_forecast(shop, "week", as_of="2026-11-20", progress=lambda done, stage: seen.append((done, stage)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[0] == 0 and done[-1] == 100
    stages = [stage for _, stage in seen]
    assert stages[0] == "reading order history" and stages[-1] == "done"
    assert any(stage.startswith("choosing methods for") for stage in stages) and "storing" in stages
