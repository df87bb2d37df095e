"""Pilot tests of the console on the demo database: keys, search, filters, the order card,
export, count mode, the plan's explain and rush dialogs, refresh on another writer's change."""

from __future__ import annotations

import csv
import io

import pytest
from rich.console import Console

from omnictl import browse
from omnictl.db import open_db
from omnictl.inventory import Move, on_hand, post
from .conftest import settle
from tui.app import OmniApp
from tui.screens.dialogs import AskText, Confirm, ShowText
from tui.screens.orders import OrderScreen, OrdersScreen, render_card
from tui.screens.plan import PlanScreen
from tui.screens.stock import StockScreen
from tui.widgets.vtable import VirtualTable


def app_for(db, lang="en") -> OmniApp:
    """The app opened on the orders screen, where most of these tests start."""
    return OmniApp(db, lang, poll=False, first="orders")


def table(app, selector="#orders") -> VirtualTable:
    return app.screen.query_one(selector, VirtualTable)


async def test_orders_page_from_the_database_newest_first(demo_db):
    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        orders = table(app)
        assert isinstance(app.screen, OrdersScreen)
        assert orders.row_count == browse.count_orders(demo_db)
        first = browse.page_orders(demo_db, browse.OrderFilter(), 0, 1)[0]
        assert orders.current_row[0] == first[0]
        await pilot.press("down", "down")
        await settle(pilot)
        assert orders.cursor == 2
        assert orders.current_row[0] == browse.page_orders(demo_db, browse.OrderFilter(), 2, 1)[0][0]


async def test_number_keys_switch_screens(demo_db):
    from tui.screens.close import CloseScreen
    from tui.screens.dashboard import DashboardScreen

    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert isinstance(app.screen, StockScreen)
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, PlanScreen)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("5")
        await settle(pilot)
        assert isinstance(app.screen, CloseScreen)
        await pilot.press("8")
        await settle(pilot)
        assert isinstance(app.screen, CloseScreen)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)


async def test_search_finds_an_order_and_escape_returns_to_the_list(demo_db):
    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"WX-0589", "enter")
        await settle(pilot)
        orders = table(app)
        assert orders.row_count == 1
        assert orders.current_row[2] == "WX-0589"
        await pilot.press("escape")
        await settle(pilot)
        assert orders.row_count == browse.count_orders(demo_db)


async def test_search_by_customer_name_in_chinese(demo_db):
    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.query_one("#search").value = "冯雪"
        await pilot.press("slash", "enter")
        await settle(pilot)
        rows = table(app)
        assert rows.row_count >= 1 and rows.current_row[4] == "冯雪"


async def test_channel_status_and_date_filters(demo_db):
    from textual.widgets import Input, Select

    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.query_one("#channel", Select).value = "shopify"
        await settle(pilot)
        where = browse.OrderFilter(channel="shopify")
        assert table(app).row_count == browse.count_orders(demo_db, where) > 0
        assert table(app).current_row[1] == "shopify"
        app.screen.query_one("#status", Select).value = "paid"
        await settle(pilot)
        assert table(app).row_count == browse.count_orders(demo_db, browse.OrderFilter("shopify", "paid"))
        since = app.screen.query_one("#since", Input)
        since.value = "2026-11-24"
        since.focus()
        await pilot.press("enter")
        await settle(pilot)
        expected = browse.count_orders(demo_db, browse.OrderFilter("shopify", "paid", "2026-11-24"))
        assert table(app).row_count == expected
        assert all(row[3] >= "2026-11-24" for row in browse.page_orders(
            demo_db, browse.OrderFilter("shopify", "paid", "2026-11-24"), 0, 50))


async def test_a_bad_date_is_a_notification_not_a_traceback(demo_db):
    from textual.widgets import Input

    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        since = app.screen.query_one("#since", Input)
        since.value = "yesterday"
        since.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert any("is not a date" in n.message for n in app._notifications)


async def test_enter_opens_the_order_card(demo_db):
    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"WX-0589", "enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OrderScreen)
        card = app.screen.card
        assert card.order.external_id == "WX-0589" and card.stock and card.status_history
        console = Console(width=80, file=io.StringIO(), record=True)
        console.print(render_card(card, app.t))
        text = console.export_text()
        assert "Payment and fulfilment history" in text and "Stock per line" in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)


@pytest.mark.parametrize("suffix", ["csv", "md"])
async def test_ctrl_e_exports_the_current_filter(demo_db, tmp_path, suffix):
    from textual.widgets import Input, Select

    target = tmp_path / f"out.{suffix}"
    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.query_one("#channel", Select).value = "taobao"
        await settle(pilot)
        table(app).focus()
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        app.screen.query_one("#answer", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    expected = browse.count_orders(demo_db, browse.OrderFilter(channel="taobao"))
    text = target.read_text(encoding="utf-8-sig")
    if suffix == "csv":
        rows = list(csv.reader(text.splitlines()))
        assert rows[0] == ["channel", "order", "date", "customer", "status", "total", "ship by"]
        assert len(rows) == expected + 1 and {r[0] for r in rows[1:]} == {"taobao"}
    else:
        assert text.startswith("| channel | order |") and len(text.splitlines()) == expected + 2


async def test_count_mode_barcode_digits_never_switch_screens_and_apply_after_confirm(demo_db):
    from textual.widgets import Input

    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("c", "enter")                  # the first location offered
        await settle(pilot)
        assert app.counting and app.screen.query_one("#scan", Input).has_focus
        location = app.screen.count_location
        book = on_hand(demo_db, "QS-DL-OAK", location).get(("QS-DL-OAK", location), 0.0)
        for _ in range(3):                                 # three scans of the barcode: 3 counted
            await pilot.press(*"6975321001019", "enter")
            await settle(pilot)
        await pilot.press(*"2345", "4", "2")                    # digits typed: no screen switch
        assert isinstance(app.screen, StockScreen)
        app.screen.query_one("#scan", Input).value = ""
        await pilot.press(*"QS-DL-WAL*2", "enter")
        await settle(pilot)
        rows = {r[0]: r for r in app.screen.count_rows()}
        assert rows["QS-DL-OAK (6975321001019)"][1:] == (3.0, book, 3.0 - book)
        assert rows["QS-DL-WAL"][1] == 2.0
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert demo_db.scalar("SELECT count(*) FROM stock_count WHERE applied_at IS NOT NULL") == 0
        await pilot.click("#accept")
        await settle(pilot)
        assert not app.counting
    assert on_hand(demo_db, "QS-DL-OAK", location)[("QS-DL-OAK", location)] == 3.0
    assert demo_db.scalar("SELECT count(*) FROM stock_count WHERE applied_at IS NOT NULL") == 1
    assert demo_db.scalar("SELECT reason FROM stock_move WHERE kind = 'count' ORDER BY id DESC LIMIT 1") == \
        "counted in the console"


async def test_count_cancelled_at_the_confirmation_applies_nothing(demo_db):
    app = app_for(demo_db)
    moves = demo_db.scalar("SELECT count(*) FROM stock_move")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("c", "enter")
        await settle(pilot)
        await pilot.press(*"QS-DL-OAK", "enter")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.counting and isinstance(app.screen, StockScreen)
        await pilot.press("escape")                       # leaves the count, once confirmed
        await settle(pilot)
        await pilot.click("#accept")
        await settle(pilot)
        assert not app.counting
    assert demo_db.scalar("SELECT count(*) FROM stock_move") == moves


async def test_shortage_filter_and_move_trail(demo_db):
    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        everything = table(app, "#positions").row_count
        await pilot.press("s")
        await settle(pilot)
        short = table(app, "#positions")
        assert 0 < short.row_count < everything
        assert short.current_row[6] in ("oversold", "at risk")
        assert table(app, "#moves").row_count > 0
        assert app.screen.sku == short.current_row[0]


async def test_plan_explain_and_rush_cancel_then_accept(demo_db):
    current = demo_db.scalar("SELECT id FROM schedule_run WHERE is_current = 1")
    app = app_for(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        assert any(row.label.startswith("LATHE") for row in app.screen.rows)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("down")
        plan = app.screen
        picked, sku = plan.rows[1].label.split()            # the order's number and what it makes
        assert plan.picked_order() == picked and sku == demo_db.scalar(
            "SELECT sku FROM production_order WHERE number = ?", (picked,))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ShowText) and picked in app.screen.title_text
        await pilot.press("escape")
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        await pilot.press("enter")
        await settle(pilot, rounds=6)
        assert isinstance(app.screen, Confirm)
        await pilot.press("escape")
        await settle(pilot)
        assert demo_db.scalar("SELECT id FROM schedule_run WHERE is_current = 1") == current
        await pilot.press("r", "enter")
        await settle(pilot, rounds=6)
        await pilot.click("#accept")
        await settle(pilot, rounds=6)
    assert demo_db.scalar("SELECT id FROM schedule_run WHERE is_current = 1") != current
    assert demo_db.scalar("SELECT kind FROM schedule_run WHERE is_current = 1") == "rush"


async def test_plan_zoom_keeps_the_part_of_the_plan_on_screen(demo_db):
    from datetime import timedelta

    app = app_for(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("right", "right")
        plan = app.screen
        middle = plan.start + timedelta(days=7) / 2
        await pilot.press("z")
        assert plan.zoom == "hour" and abs(plan.start + timedelta(hours=12) - middle) <= timedelta(hours=1)
        await pilot.press("z")
        assert plan.zoom == "day" and abs(plan.start + timedelta(days=7) / 2 - middle) <= timedelta(hours=1)


def test_rush_what_if_is_in_company_time_and_says_when_the_rushed_order_gains_nothing():
    from omnictl import clock
    from omnictl.models import RushResult
    from tui.i18n import Catalogue
    from tui.screens.plan import rush_text

    result = RushResult(rushed=["MO-1"], newly_late=[], otd_before=0.71, otd_after=0.71, bottleneck_load_before={},
                        bottleneck_load_after={}, bottlenecks=[],
                        moved=[{"order": "MO-1", "end_before": "2026-11-25T06:02:00Z", "end_after": "2026-11-25T06:02:00Z"},
                               {"order": "MO-2", "end_before": "2026-11-25T06:20:00Z", "end_after": "2026-11-25T05:20:00Z"}])
    zone = clock.zone()
    clock.set_zone("Asia/Shanghai")
    try:
        text = rush_text(result, Catalogue("en"))
    finally:
        clock.set_zone(zone.key)
    assert "MO-1 would not finish sooner" in text
    assert "MO-2: ends 11-25 14:20 → 11-25 13:20" in text and "MO-1: ends" not in text


async def test_another_writer_refreshes_the_visible_screen_keeping_the_filter(demo_db):
    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        app.check_for_changes()
        await settle(pilot)
        other = open_db(demo_db.path)
        with other.write():
            post(other, [Move("BULB-E27", "WH-HZ", 1000, "adjustment", "2026-11-25T03:00:00Z", reason="found")], "t")
        other.close()
        app.check_for_changes()
        await settle(pilot, rounds=6)
        positions = table(app, "#positions")
        rows = positions.source.page(demo_db, 0, positions.row_count)
        assert ("BULB-E27", "WH-HZ") in {(r[0], r[1]) for r in rows if r[2] >= 1000}


async def test_a_screen_reads_again_when_shown_after_a_change_keeping_its_rows_while_reading(demo_db, monkeypatch):
    """Coming back to a screen reads it again if anything was committed meanwhile (here before
    the 2-second poll could notice), with the old rows on screen until the new ones arrive; with
    nothing changed it reads nothing."""
    reads = []
    monkeypatch.setattr(StockScreen, "refresh_data", lambda self, read=StockScreen.refresh_data: (reads.append(1), read(self)))
    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("2", "3")
        await settle(pilot)
        assert len(reads) == 1
        await pilot.press("2")
        other = open_db(demo_db.path)
        with other.write():
            post(other, [Move("BULB-E27", "WH-HZ", 1000, "adjustment", "2026-11-25T03:00:00Z", reason="found")], "t")
        other.close()
        await pilot.press("3")
        positions = table(app, "#positions")
        assert positions.has_rows
        await settle(pilot)
        assert len(reads) == 2
        rows = positions.source.page(demo_db, 0, positions.row_count)
        assert ("BULB-E27", "WH-HZ") in {(r[0], r[1]) for r in rows if r[2] >= 1000}
        positions.reload()
        assert positions.has_rows and positions.current_row is not None


async def test_the_other_screens_are_built_in_the_background_and_read_before_their_first_visit(demo_db):
    from omnictl.replenish import update_stored_plan
    from tui.app import SCREEN_CLASSES

    update_stored_plan(demo_db)
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause(1.0)               # the warm-up waits 0.3 s, then builds a screen per 50 ms
        await settle(pilot)
        assert set(SCREEN_CLASSES) <= set(app._screen_stacks) and app.current_mode == "dashboard"
        stacks = {mode: stack[-1] for mode, stack in app._screen_stacks.items()}
        assert stacks["orders"].query_one("#orders", VirtualTable).has_rows
        assert stacks["stock"].query_one("#positions", VirtualTable).has_rows
        assert stacks["plan"].window is not None
        forecast = stacks["forecast"]
        assert forecast.plan is not None and forecast.plan.current and not forecast.computing
        read_at = stacks["stock"]._read_at
        await pilot.press("2")
        await settle(pilot)
        assert table(app).row_count == browse.count_orders(demo_db)
        await pilot.press("3")
        await settle(pilot)
        assert stacks["stock"]._read_at == read_at            # nothing changed: not read again
        await pilot.press("ctrl+t", "4")
        await settle(pilot)
        assert isinstance(app.screen, PlanScreen) and app.theme == "textual-light"


async def test_a_long_read_on_one_screen_does_not_hold_up_another(demo_db, monkeypatch):
    """Each piece of work has its own connection: the stock screen reads while the forecast
    screen's plan is still being computed."""
    import threading

    from tui.screens import forecast

    release, compute = threading.Event(), forecast._update_plan
    monkeypatch.setattr(forecast, "_update_plan", lambda db: (release.wait(20), compute(db))[1])
    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await pilot.pause(0.2)
        await pilot.press("3")
        for _ in range(200):
            if table(app, "#positions").has_rows:
                break
            await pilot.pause(0.05)
        shown_while_forecast_computes = table(app, "#positions").has_rows and not release.is_set()
        release.set()
        await settle(pilot)
    assert shown_while_forecast_computes


async def test_theme_toggle_keys_help_and_command_palette(demo_db):
    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"2 Orders", "3 Stock", "4 Plan", "6 Forecast", "7 Imports", "Export", "Search"} <= set(titles)


async def test_the_palette_reaches_other_screens_actions_and_ctrl_e_says_when_there_is_no_table(demo_db):
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+e")
        assert any("no table to export" in n.message for n in app._notifications)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {"Stock: Count", "Plan: Rush order", "Close: Run close", "Imports: Import file"} <= set(commands)
        commands["Plan: Rush order"].callback()
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        assert isinstance(app.screen_stack[-2], PlanScreen)
        titles = [c.title for c in app.get_system_commands(app.screen_stack[-2])]
        assert "Plan: Rush order" not in titles


async def test_chinese_labels(demo_db):
    app = app_for(demo_db, "zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "订单" in str(app.screen.query_one("#nav").render())
        assert [c.key for c in table(app).source.columns][0] == "channel"
        assert app.t("col.channel") == "渠道"


async def test_imports_rejects_of_the_selected_batch_and_mapping_an_unmapped_sku(demo_db):
    from textual.widgets import Input

    from tui.screens.imports import ImportsScreen

    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("7")
        await settle(pilot)
        assert isinstance(app.screen, ImportsScreen)
        batches = table(app, "#batches")
        rejected = demo_db.scalar("SELECT id FROM import_batch WHERE rejected > 0 ORDER BY id DESC LIMIT 1")
        while batches.current_row[0] != rejected:
            await pilot.press("down")
            await settle(pilot)
        assert table(app, "#rejects").row_count == demo_db.scalar(
            "SELECT count(*) FROM import_reject WHERE batch_id = ?", (rejected,))
        unmapped = table(app, "#unmapped")
        unmapped.focus()
        while unmapped.current_row[1] != "SPARE-SHADE-30":
            await pilot.press("down")
            await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        assert "Spare linen shade 30 cm" in app.screen.question            # the whole question, wrapped
        assert app.screen.hint.splitlines()[1].split()[:2] == ["1", "SHD-LIN-30"]   # the closest master SKU
        app.screen.query_one("#answer", Input).value = "1"
        await pilot.press("enter")
        await settle(pilot, rounds=6)
        assert "SPARE-SHADE-30" not in {row[1] for row in unmapped.source.page(demo_db, 0, 100)}
    assert demo_db.scalar("SELECT sku FROM sku_alias WHERE channel = 'shopify' AND external_sku = 'SPARE-SHADE-30'") \
        == "SHD-LIN-30"
    assert demo_db.scalar("SELECT count(*) FROM order_line WHERE external_sku = 'SPARE-SHADE-30' "
                          "AND mapping = 'unmapped'") == 0


async def test_forecast_plan_chart_and_suggestion_of_the_selected_sku(demo_db):
    from tui.screens.forecast import ForecastScreen

    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await settle(pilot, rounds=8)
        assert isinstance(app.screen, ForecastScreen)
        plan = table(app, "#plan")
        assert plan.row_count > 0
        first = plan.current_row
        assert app.screen.view.sku == first[0] and app.screen.view.forecast
        await pilot.press("down")
        await settle(pilot)
        assert app.screen.sku == plan.current_row[0]
        info = str(app.screen.query_one("#forecast-info").render())
        assert "method" in info
    assert demo_db.scalar("SELECT count(*) FROM forecast_run WHERE bucket = 'day'") >= 1


async def test_forecast_says_where_a_transfer_comes_from_what_is_overdue_and_which_skus_have_no_forecast(demo_db,
                                                                                                      tmp_path):
    app = app_for(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("6")
        await settle(pilot, rounds=8)
        plan = table(app, "#plan")
        rows = plan.source.page(demo_db, 0, plan.row_count)

        async def pick(match) -> str:
            index = next(i for i, row in enumerate(rows) if match(row))
            plan.cursor = index
            await settle(pilot)
            return str(app.screen.query_one("#forecast-info").render()) + str(app.screen.query_one("#chart-title").render())

        transfer = next(r for r in rows if r[8] == "transfer")
        text = await pick(lambda r: r is transfer)
        assert f"transfer {transfer[5]:g} to {transfer[1]} from {transfer[9]} by {transfer[6]}" in text
        assert transfer[9].startswith("WH-")
        late = next(r for r in rows if r[7] == "late")
        assert "Overdue: act today." in await pick(lambda r: r is late)
        assert late[6] < "2026-11-25"
        component = next(r for r in rows if r[0] == "ARM-BRS")
        text = await pick(lambda r: r is component)
        assert "ARM-BRS: no forecast of its own" in text and "method" not in text
        below = next(r for r in rows if r[5] and not r[4])                 # short of safety stock, not of stock
        text = await pick(lambda r: r is below)
        assert f"(below safety stock {below[11]:,g} from {below[10]})" in text and "stock-out -" not in text
        assert ", all locations: last 28 days" in text
        export = tmp_path / "plan.csv"
        plan._export_to(str(export))
        await settle(pilot)
    written = list(csv.reader(export.read_text(encoding="utf-8-sig").splitlines()))
    assert written[0] == ["sku", "location", "ATP", "daily", "stock-out", "suggest", "order by", "late", "action"]
    assert len(written) == len(rows) + 1 and all(len(r) == 9 for r in written)
    assert not any(cell.endswith(".0") for r in written[1:] for cell in r)


async def test_an_unexpected_error_ends_the_app_without_a_traceback(demo_db, monkeypatch):
    monkeypatch.delenv("OMNICTL_DEBUG", raising=False)

    def broken(self, message):
        raise ValueError("boom")

    monkeypatch.setattr(OrdersScreen, "on_loaded", broken)
    app = app_for(demo_db)
    with pytest.raises(ValueError, match="boom"):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("slash", *"WX-0589", "enter")
            await settle(pilot)
    assert isinstance(app.failure, ValueError) and app._exit_renderables == []


async def test_a_stale_plan_is_shown_at_once_and_computed_again_when_the_forecast_screen_is_seen(demo_db,
                                                                                              monkeypatch):
    import threading

    from omnictl.replenish import stored_plan, update_stored_plan
    from tui.screens import forecast as screen

    release, compute = threading.Event(), screen._update_plan
    monkeypatch.setattr(screen, "_update_plan", lambda db: (release.wait(20), compute(db))[1])

    update_stored_plan(demo_db)
    with demo_db.write():
        post(demo_db, [Move("QS-LT-L", "WH-HZ", 50, "adjustment", "2026-11-25T08:00:00Z")], "test")
    before = stored_plan(demo_db)
    assert before is not None and not before.current
    app = app_for(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(100):
            if "forecast" in app._screen_stacks:
                break
            await pilot.pause(0.05)
        await settle(pilot)
        forecast = app._screen_stacks["forecast"][-1]
        assert forecast.plan == before and not forecast.computing      # not computed while unseen
        await pilot.press("6")
        await pilot.pause(0.1)
        assert forecast.computing and "computing again" in str(forecast.query_one("#plan-status").render())
        assert table(app, "#plan").has_rows                              # the stored plan meanwhile
        release.set()
        await settle(pilot, rounds=8)
        assert not forecast.computing and forecast.plan.current
        row = next(r for r in table(app, "#plan").source.page(demo_db, 0, 100) if r[:2] == ("QS-LT-L", "WH-HZ"))
        assert row[2] == before_atp(demo_db) and "computing" not in str(forecast.query_one("#plan-status").render())
    assert stored_plan(demo_db).current


def before_atp(db) -> float:
    from omnictl.inventory import reserved

    return on_hand(db)[("QS-LT-L", "WH-HZ")] - reserved(db).get(("QS-LT-L", "WH-HZ"), 0.0)
