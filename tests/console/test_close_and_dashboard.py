"""Pilot tests of the dashboard (key 1, the first screen) and the close (key 5): running the
close with its progress, and assigning, acting on and resolving exceptions through dialogs
that write only when accepted, recorded with the OS user as the actor."""

from __future__ import annotations

from textual.widgets import Input, ProgressBar, Select

from omnictl.close import CHECKS
from omnictl.importer import actor_name
from .conftest import settle
from tui.app import OmniApp
from tui.screens.close import CloseScreen
from tui.screens.dashboard import DashboardScreen, sparkline
from tui.screens.dialogs import FormDialog, ShowText
from tui.widgets.vtable import VirtualTable


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def exception_row(db, exception_id: int):
    return db.one("SELECT owner, status, action, new_date, note, resolved_by FROM exception WHERE id = ?",
                  (exception_id,))


def last_event(db, exception_id: int):
    return db.one("SELECT kind, actor FROM exception_event WHERE exception_id = ? ORDER BY id DESC LIMIT 1",
                  (exception_id,))


async def open_close_screen(pilot) -> CloseScreen:
    await settle(pilot)
    await pilot.press("5")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CloseScreen)
    return pilot.app.screen


async def pick(pilot, exception_id: int) -> None:
    exceptions = pilot.app.screen.query_one("#exceptions", VirtualTable)
    exceptions.focus()
    while exceptions.current_row[0] != exception_id:
        await pilot.press("down")
        await settle(pilot, rounds=1)


async def test_the_app_opens_on_the_dashboard_and_key_1_returns_to_it(demo_db):
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        board = screen.board
        assert board.close.date == "2026-11-24" and board.close.status == "fail"
        assert [tile.name for tile in board.kpis] == ["on_time_delivery", "oee", "turnover_days"]
        assert {e.subject for e in board.t3} == {"t3:MO-000007", "t3:MO-000001"}
        assert board.short == []                    # read beside it, into the panel
        assert "MO-000007" in str(screen.query_one("#t3").render())
        assert "QS-LT-L" in str(screen.query_one("#short").render())
        assert screen.query_one("#tile-oee").border_subtitle == "below target"
        await pilot.press("2")
        await settle(pilot)
        assert not isinstance(app.screen, DashboardScreen)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


async def test_each_dashboard_list_opens_the_screen_where_its_work_is_done(demo_db):
    from tui.screens.imports import ImportsScreen
    from tui.screens.stock import StockScreen

    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.focused.id == "t3"
        assert "Open" in str(app.screen.query_one("KeyBar").render())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CloseScreen)
        await pilot.press("1", "tab")
        assert app.screen.focused.id == "late"
        late = str(app.screen.focused.render())
        assert "Past ship-by, not shipped: 5" in late and "3920561028843317754 +4 d" in late
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "OrdersScreen"
        await pilot.press("1")
        assert app.screen.focused.id == "late"               # the dashboard keeps its focus
        await pilot.press("tab", "tab")                        # owners, then the shortages
        assert app.screen.focused.id == "short"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StockScreen) and app.screen.short
        positions = app.screen.query_one("#positions", VirtualTable)
        rows = positions.source.page(demo_db, 0, positions.row_count)
        assert rows and {r[-1] for r in rows} <= {"oversold", "at risk", "short"}
        assert "shortages only" in str(app.screen.query_one("#shortage-flag").render())
        await pilot.press("1")
        await settle(pilot)
        await pilot.click("#stale")
        await settle(pilot)
        assert isinstance(app.screen, ImportsScreen)


async def test_the_screen_line_shows_the_keys_hint_only_where_it_fits(demo_db):
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        nav = str(app.screen.query_one("#nav").render())
        assert nav.rstrip().endswith("7 Imports") and "^p" not in nav
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        nav = str(app.screen.query_one("#nav").render())
        assert "7 Imports" in nav and nav.rstrip().endswith("? Keys  ^p Commands")


def test_sparkline_scales_between_the_extremes_and_leaves_gaps():
    assert sparkline([None, 1.0, 2.0, 3.0]) == " ▁▅█"
    assert sparkline([5.0, 5.0]) == "▁▁"
    assert sparkline([None]) == ""


async def test_running_the_close_shows_progress_checks_and_is_recorded_with_the_actor(demo_db):
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_close_screen(pilot)
        assert screen.query_one("#close-day", Input).value == "2026-11-24"
        assert not screen.query_one("#close-progress", ProgressBar).display
        await pilot.press("c")
        await settle(pilot, rounds=6)
        bar = screen.query_one("#close-progress", ProgressBar)
        assert bar.display and bar.progress == len(CHECKS)
        assert any(m.startswith("Close of 2026-11-24: fail;") for m in messages(app))
        checks = screen.query_one("#checks", VirtualTable)
        assert checks.row_count == len(CHECKS)
        assert demo_db.scalar("SELECT actor FROM close_run WHERE close_date = '2026-11-24'") == actor_name()
        await pilot.press("enter")                     # the exceptions table has the focus: show one
        await settle(pilot)
        assert isinstance(app.screen, ShowText) and app.screen.title_text.startswith("Exception ")
        await pilot.press("escape")
        checks.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ShowText) and "channels" in app.screen.title_text


async def test_a_bad_day_is_the_domains_sentence_and_writes_nothing(demo_db):
    runs = demo_db.scalar("SELECT count(*) FROM close_run")
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_close_screen(pilot)
        await pilot.press("d")
        day = screen.query_one("#close-day", Input)
        assert day.has_focus
        day.value = ""
        await pilot.press(*"2026-13-01", "enter")
        await settle(pilot, rounds=6)
        assert any("'2026-13-01' is not a date" in m for m in messages(app))
        assert not screen.running
    assert demo_db.scalar("SELECT count(*) FROM close_run") == runs


async def test_assign_cancelled_writes_nothing_then_accepted_records_the_actor(demo_db):
    before = exception_row(demo_db, 1)
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_close_screen(pilot)
        await pick(pilot, 1)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        assert app.screen.query_one("#field-owner", Input).value == before["owner"]
        await pilot.press("escape")
        await settle(pilot)
        assert dict(exception_row(demo_db, 1)) == dict(before)
        assert "Exception 1 unchanged" in messages(app)
        await pilot.press("o")
        await settle(pilot)
        app.screen.query_one("#field-owner", Input).value = "Li Lei"
        await pilot.click("#accept")
        await settle(pilot, rounds=6)
        assert "Exception 1: owner Li Lei" in messages(app)
    assert exception_row(demo_db, 1)["owner"] == "Li Lei"
    assert tuple(last_event(demo_db, 1)) == ("assigned", actor_name())


async def test_a_t3_exception_needs_an_action_before_it_resolves(demo_db):
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_close_screen(pilot)
        await pick(pilot, 12)
        await pilot.press("r")                      # refused before a dialog opens
        await settle(pilot)
        assert isinstance(app.screen, CloseScreen)
        assert any("Exception 12 is a T-3 exception: record an action first" in m for m in messages(app))
        assert exception_row(demo_db, 12)["status"] == "open"
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one("#field-action", Select).value = "expedite"
        await pilot.click("#accept")
        await settle(pilot, rounds=6)
        assert (exception_row(demo_db, 12)["action"], exception_row(demo_db, 12)["status"]) == ("expedite", "acted")
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one("#field-note", Input).value = "line restarted"
        await pilot.click("#accept")
        await settle(pilot, rounds=6)
        assert "Exception 12: resolved" in messages(app)
        await pilot.press("1")
        await settle(pilot)
        assert [e.id for e in app.screen.board.t3] == [13]
    row = exception_row(demo_db, 12)
    assert (row["status"], row["note"], row["resolved_by"]) == ("resolved", "line restarted", actor_name())
    assert tuple(last_event(demo_db, 12)) == ("resolved", actor_name())


async def test_renegotiate_needs_a_new_date_and_a_reason(demo_db):
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_close_screen(pilot)
        await pick(pilot, 13)
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        await pilot.click("#accept")                 # no action chosen: the dialog asks again
        await settle(pilot)
        assert app.screen is dialog and "Fill in: action" in messages(app)
        dialog.query_one("#field-action", Select).value = "renegotiate"
        await pilot.click("#accept")
        await settle(pilot, rounds=6)
        assert any("renegotiate needs --new-date" in m for m in messages(app))
        assert exception_row(demo_db, 13)["status"] == "open"
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one("#field-action", Select).value = "renegotiate"
        app.screen.query_one("#field-new_date", Input).value = "2026-12-10"
        app.screen.query_one("#field-note", Input).value = "customer agreed by phone"
        await pilot.click("#accept")
        await settle(pilot, rounds=6)
    row = exception_row(demo_db, 13)
    assert (row["status"], row["action"], row["new_date"], row["note"]) == (
        "redated", "renegotiate", "2026-12-10", "customer agreed by phone")
    assert tuple(last_event(demo_db, 13)) == ("acted", actor_name())


async def test_the_exception_list_shows_all_with_f_and_chinese_labels(demo_db):
    app = OmniApp(demo_db, "zh", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "今天" in str(app.screen.query_one("#dash-title").render())
        screen = await open_close_screen(pilot)
        exceptions = screen.query_one("#exceptions", VirtualTable)
        open_count = exceptions.row_count
        await pilot.press("f")
        await settle(pilot)
        assert exceptions.row_count >= open_count
        assert "全部异常" in str(screen.query_one("#exceptions-title").render())
