"""Paging orders for the console, the order card, table export (CSV formula guard, Markdown),
and a count entered by hand or scanner handed to the reconciliation."""

from __future__ import annotations

import csv

import pytest
from rich.console import Console

from omnictl import browse
from omnictl.errors import InputFileError, NotFound, UsageError
from omnictl.inventory import on_hand
from omnictl.order_card import order_card
from omnictl.orders import STATUSES
from omnictl.reconcile import book_for_code, preview_counts, reconcile_counts
from omnictl.tableexport import export_table, pages_of, safe_cell


def test_pages_are_newest_first_and_cover_every_order_once(demo_db):
    total = browse.count_orders(demo_db)
    seen = [row for offset in range(0, total, 7) for row in browse.page_orders(demo_db, browse.OrderFilter(), offset, 7)]
    assert len(seen) == total == len({row[0] for row in seen})
    days = [row[3] for row in seen]
    assert days == sorted(days, reverse=True)


def test_the_console_statuses_are_the_order_statuses():
    assert browse.STATUSES == STATUSES


def test_filters_and_bad_filter_values(demo_db):
    where = browse.OrderFilter(channel="taobao", since="2026-11-20")
    rows = browse.page_orders(demo_db, where, 0, 1000)
    assert len(rows) == browse.count_orders(demo_db, where) > 0
    assert all(r[1] == "taobao" and r[3] >= "2026-11-20" for r in rows)
    with pytest.raises(UsageError, match="is not a date"):
        browse.count_orders(demo_db, browse.OrderFilter(since="soon"))
    with pytest.raises(UsageError, match="is not one of"):
        browse.count_orders(demo_db, browse.OrderFilter(status="lost"))


def test_order_card_has_lines_stock_and_history(demo_db):
    order_id = browse.page_orders(demo_db, browse.OrderFilter(channel="social"), 0, 1)[0][0]
    card = order_card(demo_db, order_id)
    assert card.order.id == order_id and card.order.lines
    assert len(card.stock) == len(card.order.lines)
    assert card.status_history and card.status_history[0].status
    with pytest.raises(NotFound):
        order_card(demo_db, 10 ** 9)


def test_order_card_says_how_late_an_unshipped_order_is_and_the_plan_will_be(demo_db):
    from tui.i18n import Catalogue
    from tui.screens.orders import render_card

    order_id = demo_db.scalar("SELECT id FROM sales_order WHERE external_id = '3920561028843317754'")
    card = order_card(demo_db, order_id)
    assert (card.order.promised_ship_by, card.order.expected_ship_on) == ("2026-11-21", "2026-11-26")
    assert card.days_late == 4 and card.expected_days_late == 5       # today is 2026-11-25
    console = Console(width=120, record=True)
    console.print(render_card(card, Catalogue("en")))
    text = console.export_text()
    assert "Promised to ship by 2026-11-21  4 day(s) late: not shipped yet" in text
    assert "Expected ship date by the current plan: 2026-11-26  5 day(s) after the promise" in text
    shipped_id = demo_db.scalar("SELECT id FROM sales_order WHERE fulfilment = 'shipped' AND promised_ship_by < '2026-11-20'")
    assert order_card(demo_db, shipped_id).days_late == 0


def test_closest_skus_by_code_or_product_name(demo_db):
    assert browse.closest_skus(demo_db, "SPARE-SHADE-30", "Spare linen shade 30 cm")[0][0] == "SHD-LIN-30"
    assert browse.closest_skus(demo_db, "RABBIT-ENGRAVED", "Rabbit night light, custom engraved name")[0][0] == "QS-NL-RAB"
    assert browse.closest_skus(demo_db, "ZZZZZZZZ", "") == []


def test_data_version_moves_when_another_connection_writes(demo_db):
    from omnictl.db import open_db
    from omnictl.inventory import Move, post

    before = browse.data_version(demo_db)
    other = open_db(demo_db.path)
    with other.write():
        post(other, [Move("BULB-E27", "WH-HZ", 1, "adjustment", "2026-11-25T03:00:00Z", reason="found")], "t")
    other.close()
    assert browse.data_version(demo_db) != before


def test_csv_export_defuses_formulas_and_keeps_numbers(tmp_path):
    target = tmp_path / "t.csv"
    rows = [("=HYPERLINK(\"x\")", -5, "+1", "@SUM(A1)", "-2", "plain", None)]
    assert export_table(target, ["a", "b", "c", "d", "e", "f", "g"], [rows]) == 1
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")        # a byte-order mark, for Excel
    written = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert written[1] == ["'=HYPERLINK(\"x\")", "-5", "'+1", "'@SUM(A1)", "'-2", "plain", ""]
    assert safe_cell(3.5) == 3.5 and safe_cell(24.0) == 24 and isinstance(safe_cell(24.0), int)


def test_markdown_export_escapes_pipes_and_streams_pages(tmp_path):
    data = [(i, f"a|{i}") for i in range(12)]
    target = tmp_path / "t.md"
    written = export_table(target, ["n", "text"], pages_of(lambda offset, limit: data[offset:offset + limit], 5))
    lines = target.read_text(encoding="utf-8").splitlines()
    assert written == 12 and lines[0] == "| n | text |" and lines[2] == "| 0 | a\\|0 |" and len(lines) == 14


def test_xlsx_export_keeps_long_ids_and_text_as_text_and_numbers_as_numbers(tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from omnictl import tableexport

    target = tmp_path / "t.xlsx"
    rows = [("3920561028843317754", "=HYPERLINK(\"x\")", 12.5, -3, None, "青花瓷杯 蓝色", "bell\x07")]
    assert export_table(target, ["order", "text", "amount", "qty", "empty", "name", "ctl"], [rows]) == 1
    [header, row] = [[(c.value, c.data_type) for c in r] for r in load_workbook(target)["export"].iter_rows()]
    assert header[0] == ("order", "s")
    assert row[:4] == [("3920561028843317754", "s"), ("=HYPERLINK(\"x\")", "s"), (12.5, "n"), (-3, "n")]
    assert row[4][0] is None and row[5][0] == "青花瓷杯 蓝色" and row[6][0] == "bell"
    # too long for a sheet: one sentence, and nothing written
    monkeypatch.setattr(tableexport, "XLSX_MAX_ROWS", 3)
    too_long = tmp_path / "long.xlsx"
    with pytest.raises(UsageError, match="holds 3 rows and this table has more; export it to .csv"):
        export_table(too_long, ["n"], pages_of(lambda offset, limit: [(i,) for i in range(5)][offset:offset + limit], 2))
    assert not too_long.exists()


def test_export_refuses_unknown_format_and_missing_folder(tmp_path):
    with pytest.raises(UsageError, match=r"\.csv, \.md or \.xlsx"):
        export_table(tmp_path / "t.pdf", ["a"], [])
    with pytest.raises(InputFileError, match="does not exist"):
        export_table(tmp_path / "nope" / "t.csv", ["a"], [])


def test_entered_count_previews_then_applies_once(demo_db):
    sku, book = book_for_code(demo_db, "WH-HZ", "6975321001019")          # a barcode names its SKU
    assert sku == "QS-DL-OAK" and book == on_hand(demo_db, sku, "WH-HZ").get((sku, "WH-HZ"), 0.0)
    counts = demo_db.scalar("SELECT count(*) FROM stock_count")
    preview = preview_counts(demo_db, "WH-HZ", {"6975321001019": book + 2, "NO-SUCH": 1})
    assert [(line.sku, line.difference) for line in preview.lines] == [("QS-DL-OAK", 2.0)]
    assert [u.sku for u in preview.unknown_skus] == ["NO-SUCH"]
    assert on_hand(demo_db, sku, "WH-HZ")[(sku, "WH-HZ")] == book
    assert preview.count_id is None and demo_db.scalar("SELECT count(*) FROM stock_count") == counts
    applied = reconcile_counts(demo_db, "WH-HZ", {"6975321001019": book + 2, "NO-SUCH": 1}, at=preview.counted_at,
                               apply=True, reason="shelf count", actor="ann")
    assert applied.count_id is not None and applied.moves_posted == 1
    assert on_hand(demo_db, sku, "WH-HZ")[(sku, "WH-HZ")] == book + 2


def test_entered_count_bad_input(demo_db):
    with pytest.raises(UsageError, match="nothing was counted"):
        reconcile_counts(demo_db, "WH-HZ", {})
    with pytest.raises(NotFound, match="no location"):
        reconcile_counts(demo_db, "NOWHERE", {"X": 1})
    with pytest.raises(UsageError, match="say why"):
        reconcile_counts(demo_db, "WH-HZ", {"QS-DL-OAK": 1}, apply=True)
    assert demo_db.scalar("SELECT count(*) FROM stock_count WHERE location = 'NOWHERE'") == 0


def test_one_skus_history_read_through_the_indexes_equals_its_row_of_the_whole_book(demo_db):
    """The forecast screen's chart reads one SKU's lines (by SKU, alias or kit), not the book."""
    from omnictl.forecast.run import history

    whole = history(demo_db, "day", "2026-11-24")
    kit_parts = {r[0] for r in demo_db.execute(
        "SELECT DISTINCT a.sku FROM sku_alias a JOIN order_line l ON l.external_sku = a.external_sku "
        "WHERE l.mapping = 'kit'")}
    aliased = {r[0] for r in demo_db.execute("SELECT DISTINCT sku FROM order_line WHERE mapping = 'alias'")}
    assert kit_parts and aliased
    for sku in sorted(kit_parts | aliased | {"QS-LT-S"}):
        one = history(demo_db, "day", "2026-11-24", sku=sku)
        row = whole.values[whole.skus.index(sku)]
        assert one.skus == [sku] and list(one.values[0]) == list(row[-len(one.values[0]):])
        assert not any(row[:len(row) - len(one.values[0])])          # the whole book starts earlier only
        assert one.unmapped_lines == whole.unmapped_lines
        assert history(demo_db, "day", "2026-11-24", sku=sku, count_unmapped=False).unmapped_lines == 0
