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
from omnictl.errors import InputFileError, NotFound, StrictRejects, UsageError
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
    row, everything = accuracy(shop)          # the SKU, then the total over all SKUs (here the same one)
    assert everything.sku == "(all SKUs)" and everything.model_dump(exclude={"sku"}) == row.model_dump(exclude={"sku"})
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
    assert cli("forecast", "import-sales", str(bad)).code == 0        # row-level rejects: exit 0 (DESIGN)
    assert cli("forecast", "import-sales", str(bad), "--strict").code == 1


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
    # a file with no usable row: rejects are row-level (exit 0, counted on stderr); --strict fails it
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,period,quantity,override\nLAMP,2026-12,40,perhaps\n", encoding="utf-8")
    rejected = cli("forecast", "import-sales", str(bad))
    assert rejected.code == 0 and "1 rejected" in rejected.stderr and "row 2: override 'perhaps'" in rejected.stderr
    strict = cli("forecast", "import-sales", str(bad), "--strict")
    assert strict.code == 1 and "row 2, override 'perhaps'" in strict.stderr


def test_a_run_reports_its_progress_through_the_callback(shop):
    seen = []
    run_forecast(shop, "week", as_of="2026-11-20", progress=lambda done, stage: seen.append((done, stage)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[0] == 0 and done[-1] == 100
    stages = [stage for _, stage in seen]
    assert stages[0] == "reading order history" and stages[-1] == "done"
    assert any(stage.startswith("choosing methods for") for stage in stages) and "storing" in stages


def test_the_default_run_stores_days_and_every_level_is_their_sum(shop, cli, db_path):
    run = run_forecast(shop, None, as_of="2026-11-20")
    # one day run to the end of the third whole month (February 2027): 100 days
    assert (run.bucket, run.horizon, run.parameters["levels"]) == ("day", 100, True)
    assert shop.scalar("SELECT count(DISTINCT period_start) FROM forecast WHERE run_id = ?", (run.id,)) == 100
    lamp = [r for r in run.rows if r.sku == "LAMP"]
    assert [sum(r.bucket == b for r in lamp) for b in ("month", "week", "day")] == [3, 8, 14]
    days = {p.period_start: p.quantity for p in show_forecast(shop, "LAMP", "day").forecast}
    assert len(days) == 100
    for bucket, length in (("week", 7), ("month", None)):
        view = show_forecast(shop, "LAMP", bucket)
        assert view.run_id == run.id and view.method == "sba"
        for point in view.forecast:
            start = date.fromisoformat(point.period_start)
            span = length or M.bucket_length(start, "month")
            inside = [days[(start + timedelta(days=i)).isoformat()] for i in range(span)]
            assert point.quantity == pytest.approx(sum(inside), abs=0.01) == point.consensus
    assert [p.period_start for p in show_forecast(shop, "LAMP", "month").forecast] == [
        "2026-12-01", "2027-01-01", "2027-02-01"]
    # a newer run of the bucket itself wins over the day run
    month = run_forecast(shop, "month", as_of="2026-11-20")
    assert show_forecast(shop, "LAMP", "month").run_id == month.id
    assert show_forecast(shop, "LAMP", "week").run_id == run.id
    with pytest.raises(UsageError, match="--horizon needs --bucket"):
        run_forecast(shop, None, horizon=5)
    shop.conn.execute("VACUUM INTO ?", (str(db_path),))
    shown = cli("forecast", "show", "LAMP", "--bucket", "week")
    assert shown.code == 0 and "2026-11-23 F" in shown.stdout and "No stored" not in shown.stderr


def test_a_month_figure_of_sales_is_spread_over_its_days_in_every_view(shop, tmp_path):
    from omnictl.forecast.demand import latest_daily

    run_forecast(shop, None, as_of="2026-11-20")
    path = tmp_path / "sales.csv"
    path.write_text("sku,period,quantity,override\nLAMP,2026-12,200,yes\n", encoding="utf-8")
    assert import_sales(shop, path).imported == 1
    month = {p.period_start: p for p in show_forecast(shop, "LAMP", "month").forecast}
    assert (month["2026-12-01"].sales, month["2026-12-01"].consensus) == (200, 200)
    days = {p.period_start: p for p in show_forecast(shop, "LAMP", "day").forecast}
    december = [p for d, p in days.items() if d.startswith("2026-12")]
    assert len(december) == 31 and sum(p.consensus for p in december) == pytest.approx(200, abs=0.05)
    # by the statistical profile: each day's share of the month is its share of the statistical month
    stat_month = sum(p.quantity for p in december)
    assert all(p.consensus == pytest.approx(200 * p.quantity / stat_month, abs=0.002) for p in december)
    assert days["2026-11-30"].consensus == days["2026-11-30"].quantity          # outside December: statistical
    weeks = {p.period_start: p.consensus for p in show_forecast(shop, "LAMP", "week").forecast}
    assert weeks["2026-12-07"] == pytest.approx(sum(days[f"2026-12-{d:02d}"].consensus for d in range(7, 14)), abs=0.01)
    # replenishment and planning read the same consensus days
    series = latest_daily(shop)["LAMP"].series
    assert sum(q for d, q in series[None].items() if d.startswith("2026-12")) == pytest.approx(200, abs=0.05)
    assert sum(q for d, q in series["MAIN"].items() if d.startswith("2026-12")) == pytest.approx(200, abs=0.05)


def test_accuracy_counts_a_day_run_at_week_level_with_a_total_and_refuses_bad_options(shop, monkeypatch):
    run_forecast(shop, None, as_of="2026-11-08")
    monkeypatch.setattr(clock, "today", lambda: date(2026, 11, 24))
    rows = {(r.sku, r.bucket): r for r in accuracy(shop)}
    # days 9..23 November have passed, and the weeks of the 9th and the 16th
    assert rows[("LAMP", "day")].periods == 15 and rows[("LAMP", "week")].periods == 2
    assert rows[("LAMP", "week")].actual == 6.0 and ("LAMP", "month") not in rows
    # only LAMP had demand by the 8th, so the total is LAMP's
    total = rows[("(all SKUs)", "week")]
    assert total.model_dump(exclude={"sku"}) == rows[("LAMP", "week")].model_dump(exclude={"sku"})
    assert ("BULB", "week") not in rows
    assert list(rows)[-1][0] == "(all SKUs)"
    assert {r.bucket for r in accuracy(shop, "week")} == {"week"}
    with pytest.raises(UsageError, match="unknown bucket 'year'"):
        accuracy(shop, "year")
    with pytest.raises(NotFound, match="no channel 'nope'"):
        accuracy(shop, channel="nope")
    assert accuracy(shop, channel="shop") == []            # no run was made for that channel


def test_import_sales_rejects_empty_rows_and_periods_before_the_history_and_strict_writes_nothing(shop, tmp_path,
                                                                                                  cli, db_path):
    path = tmp_path / "sales.csv"
    path.write_text("sku,period,quantity\nLAMP,2026-12,5\n,,\n\nLAMP,2025-01,9\nLAMP,2026-10,3\nBULB,2026-W45,2\n",
                    encoding="utf-8")
    result = import_sales(shop, path)
    assert (result.rows, result.imported, result.rejected) == (5, 2, 3)
    assert [(r["row"], r["reason"]) for r in result.rejects] == [
        (3, "the row is empty (every cell blank)"),
        (5, "period '2025-01' ends before the order history starts (2026-11-02)"),
        (6, "period '2026-10' ends before the order history starts (2026-11-02)")]
    # 2026-W45 (2 to 8 November) is inside the history: kept
    with pytest.raises(StrictRejects, match="3 row"):
        import_sales(shop, path, strict=True)
    assert shop.scalar("SELECT count(*) FROM sales_forecast_batch") == 1
    unterminated = tmp_path / "quote.csv"
    unterminated.write_text('sku,period,quantity\nLAMP,2026-12,5\n"BULB,2026-12,3\nLAMP,2027-01,4\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="row 3 opens a quote"):
        import_sales(shop, unterminated)
    assert shop.scalar("SELECT count(*) FROM sales_forecast_batch") == 1
    shop.conn.execute("VACUUM INTO ?", (str(db_path),))
    failed = cli("forecast", "import-sales", str(unterminated))
    assert failed.code == 2 and "row 3 opens a quote" in failed.stderr
    nope = cli("forecast", "run", "--sku", "NOPE")
    assert nope.code == 2 and "no master SKU 'NOPE'" in nope.stderr
    assert cli("forecast", "accuracy", "--bucket", "year").code == 2
    assert cli("forecast", "accuracy", "--channel", "nope").code == 2


def test_a_quoted_cell_with_a_line_break_still_reads(tmp_path):
    from omnictl.tabular import open_table

    path = tmp_path / "multi.csv"
    path.write_text('sku,note\nLAMP,"two\nlines"\nBULB,x\n', encoding="utf-8")
    assert list(open_table(path).rows()) == [(2, ["LAMP", "two\nlines"]), (3, ["BULB", "x"])]


def test_the_engine_in_blocks_of_skus_gives_what_it_gives_in_one():
    from omnictl.forecast.run import forecast_in_chunks

    rng = np.random.default_rng(7)
    weekly = np.tile([1, 1, 1, 1, 2, 4, 3], 30)[:200]
    Y = np.vstack([rng.poisson(3 * weekly), rng.poisson(0.2, 200), rng.poisson(8, 200) * (rng.random(200) < 0.3),
                   rng.poisson(5, 200), np.zeros(200), rng.poisson(2 * weekly)]).astype(float)
    seen = []
    whole = forecast_in_chunks(Y, 28, m=7)
    blocks = forecast_in_chunks(Y, 28, m=7, chunk=4, progress=lambda done, total: seen.append((done, total)))
    assert blocks.method == whole.method and blocks.params == whole.params and blocks.kind == whole.kind
    for name in ("forecast", "mase", "wape", "bias", "error_std", "outliers"):
        np.testing.assert_array_equal(getattr(blocks, name), getattr(whole, name))
    assert seen and seen[-1][0] == seen[-1][1]              # the bar reaches its end once, over both blocks
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
