"""`plan run`, `plan rush`, `plan bottlenecks`, `plan gantt` on the demo company."""

from __future__ import annotations

from datetime import datetime

import pytest

from omnictl.db import open_db
from omnictl.demo import build_demo
from omnictl.errors import NotFound, UsageError
from omnictl.planning.calendars import working_intervals
from omnictl.planning.schedule import bottlenecks, gantt_rows, run_schedule, rush


@pytest.fixture
def plant(tmp_path):
    build_demo(tmp_path / "demo.db", keep_exports=False)          # the demo plans production orders
    database = open_db(tmp_path / "demo.db")
    yield database
    database.close()


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_run_is_stored_current_and_feasible(plant):
    info = run_schedule(plant, actor="pmc")
    assert info.is_current and len(info.orders) == 21
    assert info.metrics["bottlenecks"] == ["LATHE"]
    ops = plant.query("SELECT s.*, o.seq, o.production_id, o.setup_min, o.run_min, o.status, w.calendar, w.units "
                      "FROM scheduled_op s JOIN operation o ON o.id = s.operation_id "
                      "JOIN work_center w ON w.code = s.work_center WHERE s.run_id = ?", (info.id,))
    assert len(ops) == plant.scalar("SELECT count(*) FROM operation o JOIN production_order p ON p.id = "
                                    "o.production_id WHERE p.status IN ('planned', 'released', 'started')")
    by_order: dict[int, list] = {}
    for op in ops:
        by_order.setdefault(op["production_id"], []).append(op)
        starts, ends = parse(op["starts"]), parse(op["ends"])
        working = working_intervals(plant, op["calendar"], starts, ends, work_center=op["work_center"])
        worked = sum((b - a).total_seconds() for a, b in working) / 60
        if op["status"] == "planned":                                  # a started one has only its rest left
            assert worked >= op["setup_min"] + op["run_min"] - 1      # its work fits in working time
        assert any(a == starts for a, _ in working)                   # it starts at a working minute
    for steps in by_order.values():                                     # routing order holds
        steps.sort(key=lambda op: op["seq"])
        assert all(parse(a["ends"]) <= parse(b["starts"]) for a, b in zip(steps, steps[1:]))
    for unit_ops in _by_unit(ops).values():                              # one operation at a time per unit
        unit_ops.sort(key=lambda op: op["starts"])
        assert all(parse(a["ends"]) <= parse(b["starts"]) for a, b in zip(unit_ops, unit_ops[1:]))
    planned = plant.one("SELECT planned_start, planned_end FROM production_order WHERE number = 'MO-000004'")
    assert planned["planned_start"] and planned["planned_end"] > planned["planned_start"]


def _by_unit(ops) -> dict:
    units: dict = {}
    for op in ops:
        units.setdefault((op["work_center"], op["unit"]), []).append(op)
    return units


def test_a_component_order_finishes_before_the_order_it_feeds(plant):
    run_schedule(plant, actor="pmc")
    pairs = plant.query("SELECT c.planned_end AS child_end, p.planned_start AS parent_start FROM production_order c "
                        "JOIN production_order p ON p.id = c.parent_id WHERE c.status = 'planned'")
    assert pairs and all(parse(r["child_end"]) <= parse(r["parent_start"]) for r in pairs)


def test_rush_compares_without_touching_the_plan_until_accepted(plant):
    first = run_schedule(plant, actor="pmc")
    what_if = rush(plant, "MO-000004", actor="cs")
    assert what_if.rushed == ["MO-000004"] and what_if.accepted_run is None
    assert plant.scalar("SELECT id FROM schedule_run WHERE is_current = 1") == first.id
    before = next(m for m in what_if.moved if m["order"] == "MO-000004")
    assert before["shift_minutes"] <= 0                                  # at the top it finishes no later
    with pytest.raises(UsageError, match="--reason"):
        rush(plant, "MO-000004", accept=True, actor="cs")
    accepted = rush(plant, "MO-000004", accept=True, reason="hotel opening", actor="cs")
    row = plant.one("SELECT * FROM schedule_run WHERE is_current = 1")
    assert (row["id"], row["kind"], row["accepted_by"], row["reason"]) == (accepted.accepted_run, "rush", "cs",
                                                                             "hotel opening")


def test_rush_by_sales_order_and_unknown_orders(plant):
    run_schedule(plant, actor="pmc")
    assert rush(plant, "WX-0585", actor="cs").rushed == ["MO-000004"]       # the sales order the lanterns serve
    with pytest.raises(NotFound):
        rush(plant, "NO-SUCH-ORDER", actor="cs")


def test_no_plan_yet(db):
    with pytest.raises(NotFound, match="plan run"):
        bottlenecks(db)
    with pytest.raises(UsageError, match="plan orders"):
        run_schedule(db, actor="pmc")


def test_bottlenecks_and_gantt_rows(plant):
    run_schedule(plant, actor="pmc")
    report = bottlenecks(plant)
    assert report.binding == ["LATHE"] and report.queue_hours["LATHE"] > 0
    lathe = [d for d in report.days if d.work_center == "LATHE" and d.load_hours]
    assert lathe and all(d.load_hours <= d.capacity_hours + 1e-6 for d in lathe)
    rows, start, end = gantt_rows(plant, "resource")
    assert [r.label for r in rows][:3] == ["ASSY", "BENCH", "BRASS"] and "LATHE *" in [r.label for r in rows]
    assert start < end
    by_order, _, _ = gantt_rows(plant, "order")
    assert any(bar.due is not None for row in by_order for bar in row.bars)
    with pytest.raises(UsageError):
        gantt_rows(plant, "machine")


def test_cli_plan_run_gantt_rush(cli, tmp_path):
    build_demo(cli.db_path, keep_exports=False)
    ran = cli("plan", "run", "--json")
    assert ran.code == 0 and ran.json()["metrics"]["bottlenecks"] == ["LATHE"]
    chart = cli("plan", "gantt", "--width", "100", "--ascii")
    assert chart.code == 0 and "LATHE *" in chart.stdout and "Legend:" in chart.stdout
    assert all(len(line) <= 100 for line in chart.stdout.splitlines())
    what_if = cli("plan", "rush", "MO-000004", "--json")
    assert what_if.code == 0 and what_if.json()["rushed"] == ["MO-000004"]
    assert cli("plan", "bottlenecks", "--json").json()["binding"] == ["LATHE"]
    assert cli("plan", "gantt", "--by", "machine").code == 2


def test_the_plan_gives_customers_an_expected_ship_date(plant):
    from omnictl.orders import get_order
    from omnictl.search import search_orders

    run_schedule(plant, actor="pmc")
    end = plant.scalar("SELECT planned_end FROM production_order WHERE number = 'MO-000004'")
    from datetime import timedelta

    from omnictl import clock

    expected = (parse(end).astimezone(clock.zone()).date() + timedelta(days=1)).isoformat()   # dispatch buffer 1 day
    assert search_orders(plant, "WX-0585")[0].expected_ship_on == expected
    assert get_order(plant, "WX-0585").expected_ship_on == expected


def test_explain_says_where_an_order_waits_and_why_it_is_late(plant):
    from omnictl.planning.orders import explain

    run_schedule(plant, actor="pmc")
    view = explain(plant, "MO-000004")                    # the hotel's lanterns wait for their paper shades
    assert view.late_reason.startswith("late by ") and "component order MO-000021" in view.late_reason
    on_time = explain(plant, "MO-000005")
    assert on_time.late_reason is None
