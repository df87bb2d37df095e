"""omnictl.dashboard: what the console's first screen reads."""

from __future__ import annotations

from omnictl import clock
from omnictl.close import run_close, show_close
from omnictl.dashboard import T3_SHOWN, TILES, dashboard


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


def test_the_close_is_read_without_its_details_and_the_t3_list_is_capped(demo_db):
    stored = show_close(demo_db)
    board = dashboard(demo_db)
    assert board.close.checks == {c.name: c.status for c in stored.checks}
    assert (board.close.ran_at, board.close.actor) == (stored.ran_at, stored.actor)
    assert [t.value for t in board.kpis] == [(stored.kpis.get(name) or {}).get("value") for name in TILES]
    forced = demo_db.scalar("SELECT count(*) FROM exception WHERE forced = 1 AND status IN ('open', 'acted')")
    assert board.t3_total == len(board.t3) == forced
    # a company with hundreds of T-3s: the first T3_SHOWN by id, and the count of them all
    template = demo_db.one("SELECT * FROM exception WHERE forced = 1 LIMIT 1")
    with demo_db.write():
        for i in range(T3_SHOWN + 5):
            demo_db.execute("INSERT INTO exception (check_name, subject, standard, finding, deadline, owner, forced, "
                            "opened_on, opened_at, last_seen_on) VALUES ('t3', ?, 's', 'f', ?, 'pmc', 1, ?, ?, ?)",
                            (f"t3:MO-9{i:05d}", template["deadline"], template["opened_on"], template["opened_at"],
                             template["last_seen_on"]))
    board = dashboard(demo_db)
    assert board.t3_total == forced + T3_SHOWN + 5 and len(board.t3) == T3_SHOWN
    assert [e.id for e in board.t3] == sorted(e.id for e in board.t3)
    assert sum(board.owners.values()) == demo_db.scalar(
        "SELECT count(*) FROM exception WHERE status IN ('open', 'acted')")
    from tui.i18n import Catalogue
    from tui.screens.dashboard import t3_text

    lines = t3_text(board, Catalogue("en")).plain.splitlines()
    assert len(lines) == 1 + T3_SHOWN + 1 and f"T-3 to close: {board.t3_total}" in lines[0]
    assert f"{board.t3_total - T3_SHOWN} more" in lines[-1]


def test_findings_read_in_chinese_on_the_dashboard_the_close_screen_and_the_report(demo_db):
    from omnictl.exceptions import list_exceptions
    from omnictl.report import close_markdown
    from tui.i18n import Catalogue
    from tui.screens.close import check_details, exception_text
    from tui.screens.dashboard import t3_text

    zh, en = Catalogue("zh"), Catalogue("en")
    board = dashboard(demo_db)
    assert "道工序未完成" in t3_text(board, zh).plain and "unfinished operation" not in t3_text(board, zh).plain
    assert "unfinished operation" in t3_text(board, en).plain
    every = list(list_exceptions(demo_db))
    assert every and all(e.finding_msg and e.standard_msg for e in every)
    text = exception_text(every[0], zh).plain
    assert every[0].finding not in text and every[0].standard not in text
    report = show_close(demo_db)
    t3 = report.check("t3")
    assert check_details(t3, en) == t3.details and "预警" in check_details(t3, zh)[0]
    markdown = close_markdown(report, "zh")
    assert "道工序未完成" in markdown and "unfinished operation" not in markdown
    assert "unfinished operation" in close_markdown(report, "en")
