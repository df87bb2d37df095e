"""Pilot tests of the Close screen (key 5) on the demo: the day field gives the keyboard back
on Esc, each exception's dialog offers its check's actions and reads as text for people, a T-3
exception is not offered a Resolve dialog before it has an action, and Chinese labels fit."""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Input, Select

from .conftest import settle
from .test_close_and_dashboard import exception_row, messages, open_close_screen, pick
from tui.app import OmniApp
from tui.screens.dialogs import FormDialog, ShowText
from tui.screens.orders import OrdersScreen
from tui.widgets.vtable import VirtualTable


def table_text(table: VirtualTable) -> str:
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


async def test_esc_leaves_the_day_field_with_the_last_valid_day_and_screen_keys_work_again(demo_db):
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_close_screen(pilot)
        day = screen.query_one("#close-day", Input)
        exceptions = screen.query_one("#exceptions", VirtualTable)
        await pilot.press("d", "escape")
        assert exceptions.has_focus and day.value == "2026-11-24"
        await pilot.press("d", "2", "d")                            # the day is replaced; a letter never reaches it
        assert day.has_focus and day.value == "2"
        await pilot.press("escape")
        assert exceptions.has_focus and day.value == "2026-11-24"
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)


async def test_an_invalid_day_on_enter_names_the_value_runs_nothing_and_esc_restores(demo_db):
    runs = demo_db.scalar("SELECT count(*) FROM close_run")
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_close_screen(pilot)
        await pilot.press("d")
        day = screen.query_one("#close-day", Input)
        day.value = ""
        await pilot.press(*"2026-11-30", "enter")
        await settle(pilot)
        assert any(m.startswith("Day '2026-11-30' cannot be closed: 2026-11-30 is in the future") for m in messages(app))
        assert not screen.running and day.has_focus
        await pilot.press("escape")
        assert day.value == "2026-11-24" and screen.query_one("#exceptions", VirtualTable).has_focus
    assert demo_db.scalar("SELECT count(*) FROM close_run") == runs


async def test_the_action_dialog_offers_the_actions_of_the_exceptions_check(demo_db):
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_close_screen(pilot)
        await pick(pilot, 1)                                        # channels:rejects:17, rejected WeChat rows
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, FormDialog)
        choices = dialog.query_one("#field-action", Select)
        assert [value for _label, value in choices._options if value is not Select.NULL] == [
            "re-import", "map SKU", "fix at source", "accept"]
        assert not dialog.query("#field-new_date")                  # no renegotiating a channel's file
        body = dialog.body.plain
        assert body.startswith("Check: channels\nfinding: social: its latest import (batch 17")
        assert "deadline 2026-11-25 · escalation level 0 (planner)" in body
        assert "(channels)" not in body and body.endswith("ref channels:rejects:17")
        choices.value = "fix at source"
        dialog.query_one("#field-note", Input).value = "WeChat sheet fixed by the shop"
        await pilot.click("#accept")
        await settle(pilot, rounds=6)
        assert "Exception 1: fix at source recorded, acted" in messages(app)
        await pick(pilot, 12)                                       # T-3: the production actions
        await pilot.press("a")
        await settle(pilot)
        choices = app.screen.query_one("#field-action", Select)
        assert [value for _label, value in choices._options if value is not Select.NULL] == [
            "expedite", "split", "overtime", "outsource", "renegotiate", "accept late"]
        assert app.screen.body.plain.startswith("Check: T-3 · closed loop: an action before it resolves")
    assert (exception_row(demo_db, 1)["action"], exception_row(demo_db, 1)["status"]) == ("fix at source", "acted")


async def test_resolve_on_a_t3_exception_without_an_action_says_so_instead_of_a_dialog(demo_db):
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_close_screen(pilot)
        await pick(pilot, 10)                                       # not T-3: the dialog opens
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, FormDialog)
        await pilot.press("escape")
        await settle(pilot)
        await pick(pilot, 13)
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is screen
        assert "Exception 13 is a T-3 exception: record an action first (a), then resolve it" in messages(app)
    assert exception_row(demo_db, 13)["status"] == "open"


async def test_chinese_check_names_and_key_bars_that_fit_80_columns(demo_db):
    for lang, words in (("en", ("channels", "consumption", "T-3", "escalation")),
                        ("zh", ("渠道数据", "生产进度", "物料消耗", "库存", "T-3 预警", "升级"))):
        app = OmniApp(demo_db, lang, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_close_screen(pilot)
            checks = table_text(screen.query_one("#checks", VirtualTable))
            assert all(word in checks for word in words), checks
            keys = screen.query_one("KeyBar").keys_text()
            assert cell_len(keys.plain.rstrip()) <= 80 and keys.plain.rstrip().endswith(app.t("key.help"))
            await pilot.press("enter")                              # an exception, its check translated
            await settle(pilot)
            assert isinstance(app.screen, ShowText)
            assert app.screen.body.plain.startswith(app.t("exception.check_line", check=app.t("check.channels")))
        if lang == "zh":
            assert "渠道数据" in app.t("exception.check_line", check=app.t("check.channels"))


async def test_the_t3_check_counts_its_findings_in_words(demo_db):
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_close_screen(pilot)
        await pilot.press("c")
        await settle(pilot, rounds=6)
        checks = table_text(screen.query_one("#checks", VirtualTable))
        assert "2 T-3 findings on 2026-11-24; 0 with the loop closed" in checks
        assert "finding(s)" not in checks
