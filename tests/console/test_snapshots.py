"""Snapshots of each screen on the demo database (clock pinned to 2026-11-25) at 80x24 and
160x48. `pytest tests/console/test_snapshots.py --snapshot-update` rewrites them after a
deliberate change of the layout; look at the report before committing."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import settle
from tui.app import OmniApp

SIZES = [(80, 24), (160, 48)]


async def _settled(pilot) -> None:
    await settle(pilot)


def _keys(*keys):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name, keys", [
    ("orders", ("2",)),
    ("order_card", ("2", "enter")),
    ("stock", ("3",)),
    ("stock_count", ("3", "c", "enter", *"6975321001019", "enter", *"6975321001019", "enter")),
    ("plan", ("4",)),
    ("plan_by_order", ("4", "b")),
    ("imports", ("7",)),
    ("forecast", ("6",)),
    ("dashboard", ()),
    ("close", ("5",)),
    ("close_act_dialog", ("5", "end", "a")),
])
def test_screen(snap_compare, demo_db, name, keys, size):
    assert snap_compare(OmniApp(demo_db, "en", poll=False), terminal_size=size, run_before=_keys(*keys))


def test_orders_in_chinese(snap_compare, demo_db):
    assert snap_compare(OmniApp(demo_db, "zh", poll=False), terminal_size=(80, 24), run_before=_keys("2"))


def test_dashboard_in_chinese(snap_compare, demo_db):
    assert snap_compare(OmniApp(demo_db, "zh", poll=False), terminal_size=(80, 24), run_before=_settled)


def test_import_dialog_previews_the_highlighted_file(snap_compare, demo_db, monkeypatch):
    """The picker starts in a folder named relative to the checkout, so the picture is the same
    on every machine."""
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        pilot.app.screen.folder = Path("tests/fixtures/woocommerce")
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("down")
        await pilot.pause(0.3)               # the preview waits for the cursor to rest
        await settle(pilot)

    for size in SIZES:
        assert snap_compare(OmniApp(demo_db, "en", poll=False), terminal_size=size, run_before=run_before)
