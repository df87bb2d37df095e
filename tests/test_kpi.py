"""KPIs (omnictl.kpi): on-time delivery, OEE, inventory turnover days, the trend, and `omnictl kpi`.

Today is 2026-11-25 (UTC company time unless a test sets another). Orders come from
tests/fixtures/kpi/orders.csv through a user profile (kpi_shop) that maps deliver_by and
delivered_at; shop-floor reports through `import_shopfloor` from files written by the tests.
"""

from __future__ import annotations

from datetime import date

import pytest

from omnictl import clock, inventory
from omnictl.channels import profile
from omnictl.db import open_db
from omnictl.importer import import_files
from omnictl.inventory import Move
from omnictl.kpi import kpi_report, kpi_trend
from omnictl.replenish import turnover
from omnictl.settings import set_setting
from omnictl.shopfloor import import_shopfloor

from conftest import OWN_FIXTURES

FIX = OWN_FIXTURES / "kpi"
NOV1, NOV24 = date(2026, 11, 1), date(2026, 11, 24)
NOW = "2026-11-01T00:00:00Z"


@pytest.fixture
def user_profiles(monkeypatch):
    monkeypatch.setenv("OMNICTL_PROFILES", str(FIX / "profiles"))
    profile._cache = None


def _master(db):
    with db.write():
        db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Main warehouse')")
        db.execute("INSERT INTO sku (code, name, cost_minor) VALUES ('X', 'Ex', 400), ('Y', 'Why', 100)")
        db.execute("INSERT INTO channel (code, name, profile, location) VALUES ('shop', 'Shop', 'kpi_shop', 'WH')")
        inventory.post(db, [Move("X", "WH", 100, "opening", "2026-10-01T00:00:00Z"),
                            Move("Y", "WH", 50, "opening", "2026-10-01T00:00:00Z")], "test")


@pytest.fixture
def shop(db, user_profiles):
    _master(db)
    import_files(db, [FIX / "orders.csv"], channel="shop")
    return db


def figure(report, name):
    return next(f for f in report.kpis if f.name == name)


# -- on-time delivery ---------------------------------------------------------------------------

def test_on_time_delivery_counts_shipped_lines_against_their_promise(shop):
    report = kpi_report(shop, NOV1, NOV24)
    otd = figure(report, "on_time_delivery")
    # A1 (2 lines, on time), A2 (late), A3 (derived promise 11-04, shipped 11-08: late), A4 (a date only,
    # on its ship-by day); A5 cancelled, A6 open, A7 shipped before the period
    assert (otd.numerator, otd.denominator, otd.value, otd.status) == (3, 4 + 1, 60.0, "below target")
    assert (report.shipped_lines, report.unpromised_lines) == (5, 0)
    customer = figure(report, "on_time_to_customer")
    # delivered in the period: A1 (2 lines by the deliver-by), A2 late, A4 without a deliver-by
    assert (customer.numerator, customer.denominator, customer.value) == (2, 3, 66.67)
    assert (report.delivered_lines, report.undated_delivered_lines) == (4, 1)
    assert any("1 delivered line(s) had no deliver-by" in note for note in customer.notes)


def test_lines_without_a_promise_are_counted_apart(shop):
    with shop.write():
        shop.execute("UPDATE sales_order SET promised_ship_by = NULL WHERE external_id = 'A3'")
    otd = figure(report := kpi_report(shop, NOV1, NOV24), "on_time_delivery")
    assert (otd.numerator, otd.denominator, otd.value) == (3, 4, 75.0)
    assert (report.shipped_lines, report.unpromised_lines) == (5, 1)
    assert otd.notes == ["1 shipped line(s) had no promised ship-by and are left out of the rate"]


def test_the_imported_delivery_date_is_stored(shop):
    rows = dict(shop.query("SELECT external_id, delivered_at FROM sales_order ORDER BY external_id"))
    assert rows["A1"] == "2026-11-05T15:00:00Z" and rows["A4"] == "2026-11-12" and rows["A3"] is None
    assert shop.scalar("SELECT fulfilment FROM sales_order WHERE external_id = 'A4'") == "delivered"


def test_a_later_export_with_the_delivery_date_updates_the_order(db, user_profiles, tmp_path):
    _master(db)
    original = (FIX / "orders.csv").read_text(encoding="utf-8").splitlines()
    earlier = [original[0]] + [line.replace(",2026-11-05 15:00:00,delivered,", ",,shipped,") for line in original[1:3]]
    (tmp_path / "earlier.csv").write_text("\n".join(earlier) + "\n", encoding="utf-8")
    import_files(db, [tmp_path / "earlier.csv"], channel="shop")
    assert figure(kpi_report(db, NOV1, NOV24), "on_time_to_customer").status == "n/a"
    import_files(db, [FIX / "orders.csv"], channel="shop")
    events = db.query("SELECT e.field, e.old, e.new FROM order_event e JOIN sales_order o ON o.id = e.order_id "
                      "WHERE o.external_id = 'A1' AND e.field = 'delivered_at'")
    assert [tuple(e) for e in events] == [("delivered_at", None, "2026-11-05T15:00:00Z")]
    assert figure(kpi_report(db, NOV1, NOV24), "on_time_to_customer").numerator == 2


def test_shipped_days_are_taken_in_company_time(db, user_profiles):
    """10:00 UTC on 11-03 is 11-03 in Shanghai, but 23:30 UTC on 11-03 is already 11-04 there."""
    _master(db)
    set_setting(db, "company.timezone", "Asia/Shanghai")
    clock.set_zone("Asia/Shanghai")
    import_files(db, [FIX / "orders.csv"], channel="shop")
    with db.write():
        db.execute("UPDATE order_line SET shipped_at = '2026-11-03T23:30:00Z' WHERE order_id = "
                   "(SELECT id FROM sales_order WHERE external_id = 'A1') AND sku = 'Y'")
    only_the_3rd = kpi_report(db, date(2026, 11, 3), date(2026, 11, 3))
    assert figure(only_the_3rd, "on_time_delivery").denominator == 1
    trend = {d.day: d for d in kpi_trend(db, date(2026, 11, 4), days=2)}
    assert (trend["2026-11-03"].promised_lines, trend["2026-11-04"].promised_lines) == (1, 2)
    assert (trend["2026-11-04"].on_time_lines, trend["2026-11-04"].on_time_delivery_pct) == (0, 0.0)


def test_no_shipments_is_not_applicable(db):
    report = kpi_report(db, NOV1, NOV24)
    for name in ("on_time_delivery", "on_time_to_customer", "oee", "turnover_days"):
        assert (figure(report, name).value, figure(report, name).status) == (None, "n/a")
    assert report.shipped_lines == 0 and report.oee_by_work_center == []


# -- OEE ----------------------------------------------------------------------------------------

REPORTS = """date,production order,operation,work center,good quantity,scrap quantity,run minutes,downtime minutes,downtime reason
2026-11-17,MO-1,10,CNC,380,20,400,80,tool change
2026-11-18,MO-1,10,CNC,270,0,300,60,jam
2026-11-17,MO-1,20,ASM,50,0,800,100,no material
2026-11-22,MO-1,20,ASM,10,0,120,0,
"""


def _floor(db, tmp_path, text=REPORTS):
    """CNC: Mon-Fri 08-16, 60 units/h, maintenance 10-12 on 11-18; ASM: same calendar, 2 units, no ideal rate."""
    with db.write():
        if db.scalar("SELECT count(*) FROM work_center") == 0:
            db.execute("INSERT OR IGNORE INTO location (code, name) VALUES ('WH', 'Main warehouse')")
            db.execute("INSERT INTO sku (code, name) VALUES ('LAMP', 'Lamp')")
            db.execute("INSERT INTO calendar VALUES ('STD', 'Day shift')")
            for weekday in range(5):
                db.execute("INSERT INTO calendar_shift VALUES ('STD', ?, '08:00', '16:00')", (weekday,))
            db.execute("INSERT INTO calendar_exception VALUES ('STD', '2026-11-18T10:00', '2026-11-18T12:00', "
                       "'CNC', 'maintenance')")
            db.execute("INSERT INTO work_center (code, name, calendar, ideal_rate) VALUES ('CNC', 'CNC', 'STD', 60)")
            db.execute("INSERT INTO work_center (code, name, calendar, units) VALUES ('ASM', 'Assembly', 'STD', 2)")
            db.execute("INSERT INTO work_center (code, name, calendar) VALUES ('PAINT', 'Paint', 'STD')")
            mo = db.execute("INSERT INTO production_order (number, sku, location, quantity, due_on, status, "
                            "created_at, updated_at) VALUES ('MO-1', 'LAMP', 'WH', 100000, '2026-12-30', "
                            "'released', ?, ?)", (NOW, NOW)).lastrowid
            for seq, center in ((10, "CNC"), (20, "ASM"), (30, "PAINT")):
                db.execute("INSERT INTO operation (production_id, seq, work_center, setup_min, run_min) "
                           "VALUES (?, ?, ?, 0, 60)", (mo, seq, center))
    path = tmp_path / f"reports-{abs(hash(text))}.csv"
    path.write_text(text, encoding="utf-8")
    result = import_shopfloor(db, path)
    assert result.rejected == 0, result.rejects
    return db


def test_oee_per_work_center_from_calendar_reports_ideal_rate_and_scrap(db, tmp_path):
    report = kpi_report(_floor(db, tmp_path), NOV1, NOV24)
    asm, cnc = report.oee_by_work_center
    # CNC: planned 480 + 360 (2 h planned maintenance off the 18th); run 700; output 670 at 60/h; good 650
    assert (cnc.work_center, cnc.days, cnc.planned_min, cnc.run_min, cnc.downtime_min) == ("CNC", 2, 840, 700, 140)
    assert (cnc.availability_pct, cnc.performance_pct, cnc.quality_pct) == (83.33, 95.71, 97.01)
    assert cnc.oee_pct == round(100 * 650 / 840, 2) == 77.38
    assert cnc.status == "below target"
    assert cnc.downtime_by_reason == {"tool change": 80, "jam": 60}
    # ASM: 2 units × 480 on the 17th; Sunday the 22nd has no shift: planned = run + downtime = 120
    assert (asm.planned_min, asm.run_min, asm.availability_pct, asm.performance_pct, asm.quality_pct) == (
        1080, 920, 85.19, 100.0, 100.0)
    assert asm.status == "ok"
    assert any("no ideal rate: performance assumed 100%" in n for n in asm.notes)
    assert any("no scrap recorded: quality taken as 100%" in n for n in asm.notes)
    assert any("exceeded the calendar's working time" in n for n in asm.notes)
    assert not any("assumed" in n for n in cnc.notes)
    oee = figure(report, "oee")
    # overall = Σ fully productive time / Σ planned = (650 + 920) / (840 + 1080)
    assert (oee.value, oee.numerator, oee.denominator) == (round(100 * 1570 / 1920, 2), 1570, 1920)
    assert oee.notes[0] == "availability 84.38% × performance 98.15% × quality 98.74%"


def test_a_day_reported_without_run_minutes_assumes_planned_less_downtime(db, tmp_path):
    text = REPORTS.splitlines()[0] + "\n2026-11-17,MO-1,30,PAINT,5,1,0,30,setup\n"
    line = kpi_report(_floor(db, tmp_path, text), NOV1, NOV24).oee_by_work_center[0]
    assert (line.work_center, line.planned_min, line.run_min, line.availability_pct) == ("PAINT", 480, 450, 93.75)
    assert (line.performance_pct, line.quality_pct) == (100.0, 83.33)
    assert any("reported no run minutes" in n for n in line.notes)


def test_a_performance_above_the_ideal_rate_is_capped_and_said(db, tmp_path):
    text = REPORTS.splitlines()[0] + "\n2026-11-17,MO-1,10,CNC,100,0,60,0,\n"
    line = kpi_report(_floor(db, tmp_path, text), NOV1, NOV24).oee_by_work_center[0]
    assert line.performance_pct == 100.0
    assert any("capped at 100%" in n for n in line.notes)


# -- turnover and the trend ---------------------------------------------------------------------

def test_turnover_days_come_from_replenish_turnover_with_a_band(shop):
    report = kpi_report(shop, NOV1, NOV24)
    stock = turnover(shop, 24, end=NOV24)
    days = figure(report, "turnover_days")
    assert days.value == stock.turnover_days and days.value is not None
    assert (days.numerator, days.denominator) == (stock.average_value_minor, stock.daily_cogs_minor)
    assert days.status == "outside band"                        # far more than 45 ± 20% days
    set_setting(shop, "kpi.turnover_days_target", str(days.value * 1.15))
    assert figure(kpi_report(shop, NOV1, NOV24), "turnover_days").status == "ok"
    set_setting(shop, "kpi.turnover_days_target", str(days.value * 1.3))
    assert figure(kpi_report(shop, NOV1, NOV24), "turnover_days").status == "outside band"


def test_trend_per_day_agrees_with_the_report(shop, tmp_path):
    _floor(shop, tmp_path)
    trend = kpi_trend(shop, NOV24, days=30)
    assert [d.day for d in trend][:2] == ["2026-10-26", "2026-10-27"] and trend[-1].day == "2026-11-24"
    by_day = {d.day: d for d in trend}
    assert (by_day["2026-11-03"].on_time_lines, by_day["2026-11-03"].promised_lines) == (2, 2)
    assert by_day["2026-11-04"].on_time_delivery_pct == 0.0
    assert by_day["2026-11-05"].on_time_delivery_pct is None
    report = kpi_report(shop, NOV1, NOV24)
    otd = figure(report, "on_time_delivery")
    in_period = [d for d in trend if d.day >= "2026-11-01"]
    assert sum(d.on_time_lines for d in in_period) == otd.numerator
    assert sum(d.promised_lines for d in in_period) == otd.denominator
    # the 17th: CNC 380 and ASM 800 fully productive minutes over 480 + 960 planned
    assert by_day["2026-11-17"].oee_pct == round(100 * 1180 / 1440, 2)
    assert by_day["2026-11-18"].oee_pct == round(100 * 270 / 360, 2)
    assert by_day["2026-11-19"].oee_pct is None
    # turnover days of a trend day: the 30 days ending it, as `turnover` computes them
    assert trend[-1].turnover_days == turnover(shop, 30, end=NOV24).turnover_days
    assert by_day["2026-11-10"].turnover_days == turnover(shop, 30, end=date(2026, 11, 10)).turnover_days


# -- the command --------------------------------------------------------------------------------

def test_cli_shows_all_three_and_json(cli, user_profiles):
    assert cli("import", str(FIX / "orders.csv")).code == 0
    table = cli("kpi", "--from", "2026-11-01", "--to", "2026-11-24")
    assert table.code == 0, table
    assert "On-time delivery" in table.stdout and "below target" in table.stdout and "3 / 5 lines" in table.stdout
    data = cli("kpi", "--from", "2026-11-01", "--to", "2026-11-24", "--json").json()
    assert (data["start"], data["end"], data["days"]) == ("2026-11-01", "2026-11-24", 24)
    assert [k["name"] for k in data["kpis"]] == ["on_time_delivery", "on_time_to_customer", "oee", "turnover_days"]
    assert set(data["kpis"][0]) >= {"name", "value", "target", "unit", "status", "numerator", "denominator", "notes"}
    default = cli("kpi", "--json").json()                      # the last 30 complete days
    assert (default["start"], default["end"]) == ("2026-10-26", "2026-11-24")
    assert cli("kpi", "turnover", "--json").json()["days"] == 90


@pytest.mark.parametrize("args, message", [
    (["--from", "2026-11-31"], "--from '2026-11-31' is not a date (YYYY-MM-DD)"),
    (["--to", "yesterday"], "--to 'yesterday' is not a date (YYYY-MM-DD)"),
    (["--from", "2026-11-20", "--to", "2026-11-10"], "--from 2026-11-20 is after --to 2026-11-10"),
])
def test_cli_bad_period_is_exit_2(cli, db_path, args, message):
    open_db(db_path).close()
    result = cli("kpi", *args)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.strip() == f"Error: {message}"
