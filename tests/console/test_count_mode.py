"""Count mode on the Stock screen: the preview writes nothing, Apply stores and applies the
count in one transaction with the OS user as actor, Esc asks before discarding a count, the
location is the filter's or asked for, unknown codes are refused at once; the shortage list
puts the worst first."""

from __future__ import annotations

from textual.widgets import Input, Label, Select

from omnictl.close import run_close
from omnictl.inventory import Move, on_hand, positions, post
from omnictl.reconcile import preview_counts, reconcile_counts
from .conftest import TODAY, settle
from tui.app import OmniApp
from tui.i18n import Catalogue
from tui.screens.dialogs import Choose, Confirm
from tui.screens.stock import StockScreen
from tui.widgets.vtable import VirtualTable

OAK_BARCODE = "6975321001019"                  # names QS-DL-OAK


def stock_app(db, lang="en") -> OmniApp:
    return OmniApp(db, lang, poll=False, first="stock")


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def count_findings(db) -> list[str]:
    return [text for text in run_close(db, TODAY, actor="t").check("stock").details if text.startswith("count ")]


async def start_count(pilot, *choice_keys: str) -> None:
    """Stock screen, `c`, and the location dialog answered with `choice_keys` then Enter."""
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)
    assert isinstance(pilot.app.screen, Choose)
    await pilot.press(*choice_keys, "enter")
    await settle(pilot)


async def scan(pilot, text: str) -> None:
    await pilot.press(*text, "enter")
    await settle(pilot)


def count_rows(db) -> int:
    return db.scalar("SELECT count(*) FROM stock_count")


async def test_a_cancelled_count_leaves_nothing_behind(demo_db):
    counts, moves = count_rows(demo_db), demo_db.scalar("SELECT count(*) FROM stock_move")
    findings = count_findings(demo_db)           # the demo's own unapplied count file at WH-HZ
    assert [f.split(" (")[0] for f in findings] == ["count 1 of WH-HZ"]
    app = stock_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_count(pilot)
        await scan(pilot, OAK_BARCODE)
        for _ in range(2):                                 # finish and cancel, twice
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, Confirm)
            assert "1 difference," in app.screen.body
            assert count_rows(demo_db) == counts
            await pilot.press("escape")
            await settle(pilot)
            assert app.counting and app.screen.query_one("#scan", Input).has_focus
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#accept")                      # discard the count
        await settle(pilot)
        assert not app.counting
    assert count_rows(demo_db) == counts
    assert demo_db.scalar("SELECT count(*) FROM stock_move") == moves
    assert count_findings(demo_db) == findings


async def test_apply_stores_one_applied_count_with_the_os_user(demo_db, monkeypatch):
    monkeypatch.setenv("USER", "ann")
    counts = count_rows(demo_db)
    app = stock_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_count(pilot)
        location = app.screen.count_location
        assert location == "WH-HZ"                          # the first warehouse is offered first
        await scan(pilot, OAK_BARCODE)
        await scan(pilot, "QS-DL-WAL*2")
        await pilot.press("f2")
        await settle(pilot)
        await pilot.click("#accept")
        await settle(pilot)
        assert not app.counting
        assert any(m.startswith("Count applied: 2 correcting moves") for m in messages(app))
    assert count_rows(demo_db) == counts + 1
    count = demo_db.one("SELECT * FROM stock_count ORDER BY id DESC LIMIT 1")
    assert (count["location"], count["actor"], count["applied_by"]) == (location, "ann", "ann")
    assert count["applied_at"] is not None and count["reason"] == "counted in the console"
    posted = demo_db.query("SELECT sku, actor FROM stock_move WHERE count_id = ? ORDER BY sku", (count["id"],))
    assert [tuple(r) for r in posted] == [("QS-DL-OAK", "ann"), ("QS-DL-WAL", "ann")]
    assert on_hand(demo_db, "QS-DL-OAK", location)[("QS-DL-OAK", location)] == 1.0
    assert on_hand(demo_db, "QS-DL-WAL", location)[("QS-DL-WAL", location)] == 2.0
    assert count_findings(demo_db) == []


async def test_escape_asks_before_discarding_with_cancel_focused(demo_db):
    app = stock_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_count(pilot)
        await pilot.press("escape")                       # nothing counted: leaves at once
        await settle(pilot)
        assert not app.counting and isinstance(app.screen, StockScreen)
        await start_count(pilot)
        await scan(pilot, OAK_BARCODE)
        await scan(pilot, "QS-DL-WAL*2")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert app.screen.title_text == "Leave the count?"
        assert app.screen.body.startswith("2 counted SKUs (3 units) will be discarded")
        assert app.screen.focused.id == "cancel"
        await scan(pilot, OAK_BARCODE)                     # a stray scan and Enter keeps the count
        assert app.counting and isinstance(app.screen, StockScreen)
        assert app.screen.counted == {"QS-DL-OAK": 1.0, "QS-DL-WAL": 2.0}
        assert app.screen.query_one("#scan", Input).has_focus
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#accept")
        await settle(pilot)
        assert not app.counting
        assert "Count left; nothing was applied" in messages(app)


async def test_the_count_location_is_the_filters_or_asked_for(demo_db):
    app = stock_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_count(pilot, "down")                  # the second location offered
        assert app.counting and app.screen.count_location == "WH-NB"
        assert "WH-NB" in str(app.screen.query_one("#count-title", Label).render())
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("escape")                       # no location: no count
        await settle(pilot)
        assert not app.counting and isinstance(app.screen, StockScreen)
        app.screen.query_one("#location", Select).value = "ST-HZ"
        await settle(pilot)
        await pilot.press("c")                            # the filter names it: no question
        await settle(pilot)
        assert app.counting and app.screen.count_location == "ST-HZ"
        assert "ST-HZ" in str(app.screen.query_one("#count-title", Label).render())


async def test_an_unknown_code_is_refused_at_once_with_the_bell(demo_db):
    app = stock_app(demo_db)
    rings = []
    app.bell = lambda: rings.append(1)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_count(pilot)
        await scan(pilot, "NOPE-123")
        text = "NOPE-123 is not a known SKU or barcode; not counted"
        assert text in messages(app) and rings == [1]
        note = app.screen.query_one("#count-note", Label)
        assert note.display and str(note.render()) == text
        assert app.screen.counted == {}
        await scan(pilot, "NOPE-123*3")                    # known unknown: refused without a lookup
        assert rings == [1, 1] and app.screen.counted == {}
        await scan(pilot, "[/b]X")                          # typed text is shown as it is
        assert str(note.render()) == "[/b]X is not a known SKU or barcode; not counted"
        await scan(pilot, OAK_BARCODE)
        assert app.screen.counted == {"QS-DL-OAK": 1.0} and not note.display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "unknown" not in app.screen.body


async def test_scans_before_the_lookup_answers_all_count(demo_db, monkeypatch):
    """The first scan of a code waits for its lookup; finishing waits for the answers."""
    import threading

    from tui.screens import stock as stock_screen

    release, lookup = threading.Event(), stock_screen.book_for_code
    monkeypatch.setattr(stock_screen, "book_for_code", lambda *a, **k: (release.wait(20), lookup(*a, **k))[1])
    app = stock_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_count(pilot)
        stock = app.screen
        # no lookup can answer while the keys arrive
        await pilot.press(*OAK_BARCODE, "enter", *OAK_BARCODE, "enter", *"NOPE", "enter", "f2")
        assert stock.counted == {} and stock.pending == {OAK_BARCODE: 2.0, "NOPE": 1.0}
        release.set()
        await settle(pilot)
        assert stock.counted == {"QS-DL-OAK": 2.0} and stock.pending == {}
        assert isinstance(app.screen, Confirm)


def test_counts_and_differences_read_in_the_singular_and_plural():
    en, zh = Catalogue("en"), Catalogue("zh")
    assert en.plural("stock.differences", 1) == "1 difference"
    assert en.plural("stock.differences", 2) == "2 differences"
    assert en.plural("stock.unknown_codes", 1) == "1 unknown code (not applied)"
    assert en.plural("stock.units", 1.5) == "1.5 units"
    assert en.plural("stock.applied", 1) == "Count applied: 1 correcting move posted"
    assert zh.plural("stock.differences", 1) == zh.plural("stock.differences", 2).replace("2", "1") == "1 项差异"


async def test_the_shortage_list_shows_the_worst_first(demo_db):
    app = stock_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        table = app.screen.query_one("#positions", VirtualTable)
        rows = table.source.page(demo_db, 0, table.row_count)
    safety = {(p.sku, p.location): p.safety_stock for p in positions(demo_db, short=True)}
    assert len(rows) == len(safety) and rows[0][6] == "oversold"
    statuses = [r[6] for r in rows]
    assert statuses == sorted(statuses, key=lambda s: s != "oversold")
    for status in ("oversold", "at risk"):
        gaps = [r[4] - safety[(r[0], r[1])] for r in rows if r[6] == status]
        assert gaps == sorted(gaps)


def test_a_preview_writes_nothing_and_the_same_quantities_counted_later_are_a_new_count(demo_db):
    counted = {"QS-DL-OAK": 5.0}
    counts = count_rows(demo_db)
    preview = preview_counts(demo_db, "WH-HZ", counted)
    assert preview.count_id is None and preview.differences == 1 and count_rows(demo_db) == counts
    first = reconcile_counts(demo_db, "WH-HZ", counted, at=preview.counted_at, apply=True, reason="r", actor="a")
    again = reconcile_counts(demo_db, "WH-HZ", counted, at=preview.counted_at, apply=True, reason="r", actor="a")
    assert first.moves_posted == 1 and again.already_applied_as == first.count_id and again.moves_posted == 0
    with demo_db.write():
        post(demo_db, [Move("QS-DL-OAK", "WH-HZ", -1, "adjustment", "2026-11-25T05:00:00Z", reason="broken")], "t")
    later = reconcile_counts(demo_db, "WH-HZ", counted, at="2026-11-25T14:00", apply=True, reason="r", actor="a")
    assert later.already_applied_as is None and later.moves_posted == 1
    assert on_hand(demo_db, "QS-DL-OAK", "WH-HZ")[("QS-DL-OAK", "WH-HZ")] == 5.0
    assert count_rows(demo_db) == counts + 2


async def test_a_scanner_burst_counts_each_code_on_its_own(demo_db):
    """Keys as a fast scanner sends them, all queued before any is handled."""
    from textual import events

    app = stock_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_count(pilot)
        for character in "QS-DL-OAK\rQS-DL-WAL\rQS-DL-OAK\rNOPE\r":
            app.post_message(events.Key("enter" if character == "\r" else character, character))
        await settle(pilot)
        assert app.screen.counted == {"QS-DL-OAK": 2.0, "QS-DL-WAL": 1.0}
        assert app.screen.query_one("#scan", Input).value == ""
        await scan(pilot, OAK_BARCODE)                     # the same SKU by barcode: the same line
        oak, wal = (on_hand(demo_db, sku, "WH-HZ")[(sku, "WH-HZ")] for sku in ("QS-DL-OAK", "QS-DL-WAL"))
        assert app.screen.count_rows() == [(f"QS-DL-OAK ({OAK_BARCODE})", 3.0, oak, 3.0 - oak),
                                           ("QS-DL-WAL", 1.0, wal, 1.0 - wal)]
        assert "NOPE is not a known SKU or barcode; not counted" in messages(app)
