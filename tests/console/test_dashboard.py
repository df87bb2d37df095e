"""omnictl.dashboard: what the console's first screen reads."""

from __future__ import annotations

from omnictl import clock
from omnictl.close import run_close
from omnictl.dashboard import TILES, dashboard


def test_an_empty_database_has_computed_tiles_and_nothing_to_attend(db):
    board = dashboard(db)
    assert board.close is None and board.kpi_day == "2026-11-24"
    assert [t.name for t in board.kpis] == list(TILES)
    assert board.owners == {} and board.t3 == [] and board.short == [] and board.stale == []
    assert board.late == [] and board.late_total == 0


def test_the_demo_reads_the_stored_close_and_what_is_open(demo_db):
    board = dashboard(demo_db)
    assert (board.close.date, board.close.status, board.kpi_day) == ("2026-11-24", "fail", "2026-11-24")
    assert board.close.checks["t3"] == "fail"
    oee = next(t for t in board.kpis if t.name == "oee")
    assert oee.target == 80.0 and oee.status == "below target" and len(oee.trend) == 14
    assert sum(board.owners.values()) == demo_db.scalar(
        "SELECT count(*) FROM exception WHERE status IN ('open', 'acted')")
    assert list(board.owners.values()) == sorted(board.owners.values(), reverse=True)
    assert all(e.forced and e.is_open for e in board.t3) and board.t3
    assert board.short[0].status == "oversold"
    assert board.short_total == len(board.short)


def test_orders_past_their_ship_by_and_not_shipped_most_overdue_first(demo_db):
    board = dashboard(demo_db)
    expected = demo_db.scalar("SELECT count(*) FROM sales_order WHERE promised_ship_by < '2026-11-25' "
                              "AND fulfilment = 'open' AND status NOT IN ('cancelled', 'refunded', 'returned')")
    assert board.late_total == expected == 5
    assert [o.days for o in board.late] == sorted((o.days for o in board.late), reverse=True)
    assert (board.late[0].channel, board.late[0].days) == ("amazon", 5)
    shipped = demo_db.scalar("SELECT external_id FROM sales_order WHERE fulfilment = 'shipped' "
                             "AND promised_ship_by < '2026-11-25' LIMIT 1")
    assert shipped not in {o.order for o in board.late}


def test_a_newer_close_is_read_and_channels_go_stale_when_no_file_comes(demo_db):
    clock.pin("2026-11-28")
    run_close(demo_db, actor="t")
    board = dashboard(demo_db)
    assert board.close.date == "2026-11-27" and board.close.actor == "t"
    daily = {r[0] for r in demo_db.execute("SELECT code FROM channel WHERE active = 1 AND daily_files = 1")}
    assert daily and {c.code for c in board.stale} == daily
