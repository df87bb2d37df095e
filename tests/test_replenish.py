"""Forecast-driven replenishment (omnictl.replenish) and inventory turnover days, with exact numbers.

Today is 2026-11-25 (UTC company time). A stored day forecast (run as of 2026-11-24, 14 days
from 2026-11-25) is inserted by SQL so demand is exact.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from statistics import NormalDist

import pytest

from omnictl import inventory
from omnictl.db import open_db
from omnictl.inventory import Move
from omnictl.replenish import (inputs_stamp, replenish_plan, stored_lines, stored_plan, turnover, update_stored_plan,
                               z_value)

Z95 = NormalDist().inv_cdf(0.95)


def _forecast(db, rows, wape):
    """One stored day run: rows of (sku, location or None, daily quantity) for 14 days."""
    run = db.execute("INSERT INTO forecast_run (created_at, created_by, as_of, bucket, horizon, parameters) "
                     "VALUES ('2026-11-25T06:00:00Z', 'test', '2026-11-24', 'day', 14, ?)",
                     (json.dumps({"sku": None, "channel": None}),)).lastrowid
    for sku, location, quantity in rows:
        for i in range(14):
            day = (date(2026, 11, 25) + timedelta(days=i)).isoformat()
            db.execute("INSERT INTO forecast (run_id, sku, location, bucket, period_start, quantity, method, mase, "
                       "wape) VALUES (?, ?, ?, 'day', ?, ?, 'ma', 0.8, ?)", (run, sku, location, day, quantity,
                                                                           wape.get(sku)))
    return run


def setup(db):
    with db.write():
        db.execute("INSERT INTO location (code, name) VALUES ('MAIN', 'Main warehouse')")
        # WID: bought, lead time 5 days, MOQ 60, cost 2.00; MADE: has a routing, lead time 2, safety stock 30
        db.execute("INSERT INTO sku (code, name, cost_minor, lead_time_days, min_order_qty, safety_stock) VALUES "
                   "('WID', 'Widget', 200, 5, 60, 0), ('MADE', 'Made thing', NULL, 2, 0, 30)")
        db.execute("INSERT INTO calendar (code, name) VALUES ('STD', 'Standard')")
        db.execute("INSERT INTO work_center (code, name, calendar) VALUES ('ASM', 'Assembly', 'STD')")
        db.execute("INSERT INTO routing_step (sku, seq, work_center, run_min) VALUES ('MADE', 10, 'ASM', 5)")
        inventory.post(db, [Move("WID", "MAIN", 40, "opening", "2026-11-01T00:00:00Z"),
                            Move("MADE", "MAIN", 10, "opening", "2026-11-01T00:00:00Z")], "test")
        po = db.execute("INSERT INTO purchase_order (number, supplier, location, expected_on) "
                        "VALUES ('PO-1', 'Acme', 'MAIN', '2026-11-28')").lastrowid
        db.execute("INSERT INTO purchase_line (po_id, sku, quantity) VALUES (?, 'WID', 20)", (po,))
        db.execute("INSERT INTO production_order (number, sku, location, quantity, due_on, status, planned_end, "
                   "created_at, updated_at) VALUES ('MO-000001', 'MADE', 'MAIN', 15, '2026-12-01', 'released', "
                   "'2026-11-30T10:00:00Z', '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z')")
        # WID split to MAIN with a WAPE of 0.5; MADE only as a SKU total without a WAPE (no backtest)
        run = _forecast(db, [("WID", None, 4), ("WID", "MAIN", 4), ("MADE", None, 1)], {"WID": 0.5})
    return run


def test_z_of_the_service_level():
    assert z_value(95) == pytest.approx(1.644854, abs=1e-6)
    assert z_value(30) == 0.0                      # taken at 50 at least


def test_bought_sku_safety_stock_reorder_point_stockout_and_order(db):
    run = setup(db)
    [wid] = replenish_plan(db, sku="WID")
    assert (wid.location, wid.action, wid.run_id) == ("MAIN", "buy", run)
    assert (wid.on_hand, wid.reserved, wid.atp, wid.daily_forecast) == (40, 0, 40, 4)
    # σ = 1.25 × WAPE 0.5 × 4/day = 2.5; safety stock = z95 × 2.5 × √5 days
    assert wid.sigma_daily == 2.5 and wid.sigma_basis == "wape"
    safety = Z95 * 2.5 * math.sqrt(5)
    assert wid.safety_stock == round(safety, 3) == 9.195
    assert wid.reorder_point == round(20 + safety, 3) == 29.195          # 5 days × 4 + safety stock
    # 40 − 4/day, +20 on 11-28: 36 32 28 44 40 36 32 28 24 20 16 12 8 4 0 −4
    assert wid.projection[:4] == [36, 32, 28, 44] and wid.projection[15] == -4
    assert wid.below_reorder_on == "2026-11-27"                          # 28 < 29.195
    assert wid.need_on == "2026-12-07"                                   # 8 < 9.195
    assert wid.stockout_on == "2026-12-10"                               # first day below 0
    # arrival 12-07 (8 left after its demand); cover 5 + 7 days more: 9.195 + 48 − 8 = 49.2 → 50 → MOQ 60
    assert wid.suggested == 60 and wid.min_order_qty == 60
    assert wid.order_by == "2026-12-02" and wid.late is False


def test_made_sku_produces_and_master_safety_stock_wins(db):
    setup(db)
    [made] = replenish_plan(db, sku="MADE", horizon_days=28)
    assert made.action == "produce" and made.location == "MAIN"        # SKU total put at the home warehouse
    assert made.sigma_basis == "poisson" and made.sigma_daily == 1.0     # √(1/day)
    assert made.safety_stock == 30                                       # master 30 > z × 1 × √2 = 2.33
    assert made.reorder_point == 32
    # 10 − 1/day, + the MO's 15 on 11-30: 9 8 7 6 5 19 18 … −1 on 12-20
    assert made.projection[:6] == [9, 8, 7, 6, 5, 19]
    assert made.need_on == "2026-11-25" and made.stockout_on == "2026-12-20"
    # the order (late) arrives today and keeps 30 until the next one could arrive (2 + 7 days on):
    # the lowest day of that window is 11-29, 5 before the MO comes: 30 − 5
    assert made.suggested == 25
    assert made.order_by == "2026-11-23" and made.late is True


def test_latest_run_wins_and_filters(db):
    setup(db)
    with db.write():
        newer = _forecast(db, [("WID", "MAIN", 2)], {"WID": 0.2})
    lines = replenish_plan(db)
    assert [(r.sku, r.location) for r in lines] == [("MADE", "MAIN"), ("WID", "MAIN")]
    wid = lines[1]
    assert wid.run_id == newer and wid.daily_forecast == 2 and wid.sigma_daily == 0.5
    assert replenish_plan(db, location="MAIN", sku="MADE")[0].sku == "MADE"


def test_cli_replenish_forecast_and_kpi_turnover(cli, db_path):
    database = open_db(db_path)
    setup(database)
    database.close()
    result = cli("replenish", "--forecast", "--sku", "WID", "--json")
    assert result.code == 0, result
    [row] = result.json()
    assert (row["suggested"], row["order_by"], row["stockout_on"]) == (60, "2026-12-02", "2026-12-10")
    table = cli("replenish", "--forecast", "--horizon", "14")
    assert table.code == 0 and "produce 25" in table.stdout and "2026-11-23 LATE" in table.stdout
    assert "the plan is stored for the console" in table.stderr + table.stdout
    again = cli("replenish", "--forecast", "--horizon", "14")
    assert "is reused (nothing it is computed from has changed)" in again.stderr + again.stdout
    database = open_db(db_path)                  # the whole plan is kept for the console
    assert stored_plan(database).current and stored_plan(database).horizon_days == 14
    assert {line.sku for line in stored_lines(database)} == {"WID", "MADE"}
    database.close()
    kpi = cli("kpi", "turnover", "--days", "10", "--json")
    assert kpi.code == 0, kpi
    report = kpi.json()
    assert report["start"] == "2026-11-15" and report["end"] == "2026-11-24"
    assert [(r["sku"], r["average_on_hand"], r["band"]) for r in report["lines"]] == \
        [("MADE", 10, "no usage"), ("WID", 40, "no usage")]


def test_turnover_days_per_sku_and_in_total(db):
    with db.write():
        db.execute("INSERT INTO location (code, name) VALUES ('MAIN', 'Main warehouse'), ('SHOP', 'Shop')")
        db.execute("INSERT INTO sku (code, name, cost_minor) VALUES ('WID', 'Widget', 200), ('PART', 'Part', 50), "
                   "('IDLE', 'Idle', NULL)")
        inventory.post(db, [
            Move("WID", "MAIN", 60, "opening", "2026-11-01T00:00:00Z"),
            Move("WID", "SHOP", 40, "opening", "2026-11-01T00:00:00Z"),
            Move("WID", "SHOP", -20, "sale", "2026-11-20T12:00:00Z"),        # day 6 of 10
            Move("PART", "MAIN", 30, "opening", "2026-11-01T00:00:00Z"),
            Move("PART", "MAIN", -5, "consume", "2026-11-16T08:00:00Z"),     # day 2 of 10
            Move("IDLE", "MAIN", 7, "opening", "2026-11-10T00:00:00Z"),
            Move("WID", "MAIN", -99, "sale", "2026-11-25T09:00:00Z"),        # today: after the period
        ], "test")
    report = turnover(db, days=10)
    assert (report.start, report.end, report.days, report.target_days) == ("2026-11-15", "2026-11-24", 10, 45)
    lines = {r.sku: r for r in report.lines}
    # WID: 100 for 5 days, 80 for 5 → 90; 20 sold / 10 days = 2/day → 45 days (at target: ok)
    assert (lines["WID"].average_on_hand, lines["WID"].sold, lines["WID"].daily_usage) == (90, 20, 2)
    assert (lines["WID"].turnover_days, lines["WID"].band) == (45.0, "ok")
    # PART: 30 one day, 25 nine days → 25.5; 5 consumed → 0.5/day → 51 days
    assert (lines["PART"].average_on_hand, lines["PART"].consumed, lines["PART"].turnover_days) == (25.5, 5, 51.0)
    assert lines["PART"].band == "above target"
    assert (lines["IDLE"].turnover_days, lines["IDLE"].band) == (None, "no usage")
    # total at cost: (90 × 200 + 25.5 × 50) / (2 × 200 + 0.5 × 50) = 19275 / 425 = 45.35 days
    assert (report.average_value_minor, report.daily_cogs_minor) == (19275, 425)
    assert (report.turnover_days, report.band, report.uncosted) == (45.4, "above target", ["IDLE"])


def test_the_plan_is_stored_in_the_consoles_order_and_kept_until_its_inputs_change(db):
    setup(db)
    assert stored_plan(db) is None
    first = update_stored_plan(db)
    assert first.current and first.lines == 2 and first.today == "2026-11-25" and first.horizon_days == 28
    lines = stored_lines(db)
    assert [line.model_dump() for line in lines] == [line.model_dump() for line in sorted(
        replenish_plan(db), key=lambda p: (p.stockout_on or "9999", p.order_by or "9999", p.sku))]
    assert [line.sku for line in stored_lines(db, 1, 5)] == [lines[1].sku]
    # nothing changed: the stored plan is returned, not computed again
    db.execute("UPDATE replenish_line SET suggested = -1")
    assert update_stored_plan(db).computed_at == first.computed_at and stored_lines(db)[0].suggested == -1
    # a stock move changes the stamp: stale, and computed again
    with db.write():
        inventory.post(db, [Move("WID", "MAIN", -30, "adjustment", "2026-11-25T08:00:00Z")], "test")
    assert not stored_plan(db).current
    update_stored_plan(db)
    assert stored_plan(db).current and all(line.suggested >= 0 for line in stored_lines(db))
    assert next(line for line in stored_lines(db) if line.sku == "WID").on_hand == 10


@pytest.mark.parametrize("change", [
    "UPDATE production_order SET quantity = 20",
    "UPDATE production_order SET planned_end = '2026-12-02T10:00:00Z'",
    "UPDATE purchase_line SET expected_on = '2026-12-01'",
    "UPDATE purchase_order SET status = 'closed'",
    "INSERT INTO audit_log (at, actor, action, subject, before_digest, after_digest, prev_hash, hash) "
    "VALUES ('2026-11-25T09:00:00Z', 'ann', 'setting.set', 'forecast.service_level_pct', '', '', '', 'h1')",
])
def test_changes_made_in_place_change_the_stamp(db, change):
    setup(db)
    before = inputs_stamp(db)
    db.execute(change)
    assert inputs_stamp(db) != before


def test_a_new_day_or_horizon_makes_the_stored_plan_stale(db, monkeypatch):
    setup(db)
    update_stored_plan(db)
    assert update_stored_plan(db, horizon_days=14).lines == 2
    assert stored_plan(db).horizon_days == 14
    monkeypatch.setenv("OMNICTL_TODAY", "2026-11-26")
    assert not stored_plan(db).current


def test_a_receipt_late_in_the_window_does_not_hide_the_days_short_before_it(db):
    setup(db)
    with db.write():
        db.execute("INSERT INTO sku (code, name, lead_time_days, min_order_qty, safety_stock) VALUES "
                   "('GAP', 'Gap', 0, 0, 0)")
        po = db.execute("INSERT INTO purchase_order (number, supplier, location, expected_on) "
                        "VALUES ('PO-2', 'Acme', 'MAIN', '2026-11-30')").lastrowid
        db.execute("INSERT INTO purchase_line (po_id, sku, quantity) VALUES (?, 'GAP', 100)", (po,))
        _forecast(db, [("GAP", "MAIN", 10)], {})
    [gap] = replenish_plan(db, sku="GAP")
    # −10 a day from nothing, +100 on 11-30: −10 −20 −30 −40 −50 then 40 30 20
    assert gap.projection[:8] == [-10, -20, -30, -40, -50, 40, 30, 20]
    assert (gap.stockout_on, gap.need_on, gap.order_by) == ("2026-11-25", "2026-11-25", "2026-11-25")
    assert gap.suggested == 50                       # the lowest day of the window, not its last (−20 → none)
