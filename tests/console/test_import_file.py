"""Pilot tests of importing a file from the Imports screen (key 7, then `i`): the picker
previews the detected profile and first orders, the Import button imports through
`omnictl import`'s domain function in a worker, Esc imports nothing, and a file no profile
matches is refused with the domain's sentence, writing nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import Button, ProgressBar, Static

from .conftest import settle
from tui.app import OmniApp
from tui.screens.import_file import ImportableTree, ImportFileDialog
from tui.screens.imports import ImportsScreen

FIXTURE = Path(__file__).parent.parent / "fixtures" / "woocommerce" / "orders-export-2026-11-24.csv"


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def batch_count(db) -> int:
    return db.scalar("SELECT count(*) FROM import_batch")


async def open_dialog(pilot) -> ImportFileDialog:
    await settle(pilot)
    await pilot.press("7")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ImportsScreen)
    await pilot.press("i")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ImportFileDialog)
    await settle(pilot)                      # the tree lists its folder in a worker
    return pilot.app.screen


async def highlight(pilot, name: str) -> str:
    """Move the picker's cursor to the file `name`; returns the preview shown for it."""
    dialog = pilot.app.screen
    tree = dialog.query_one(ImportableTree)
    for _ in range(10):
        node = tree.cursor_node
        if node is not None and node.data is not None and node.data.path.name == name:
            break
        await pilot.press("down")
        await settle(pilot, rounds=1)
    await pilot.pause(0.3)                   # the preview waits for the cursor to rest
    await settle(pilot)
    return str(dialog.query_one("#import-detected", Static).render())


def folder_with(tmp_path, monkeypatch, *files: tuple[str, str | Path]) -> None:
    for name, content in files:
        target = tmp_path / name
        if isinstance(content, Path):
            shutil.copy(content, target)
        else:
            target.write_text(content, encoding="utf-8")
    (tmp_path / "notes.md").write_text("not importable\n")
    monkeypatch.chdir(tmp_path)


async def test_pick_preview_and_import_writes_a_batch_and_notifies_it(demo_db, tmp_path, monkeypatch):
    folder_with(tmp_path, monkeypatch, ("orders.csv", FIXTURE))
    before = batch_count(demo_db)
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot)
        tree = dialog.query_one(ImportableTree)
        shown = {child.data.path.name for child in tree.root.children}
        assert shown == {"orders.csv"}               # notes.md, and the database, are not importable
        preview = await highlight(pilot, "orders.csv")
        assert "profile woocommerce" in preview and "row 2: order" in preview
        await pilot.press("enter")                   # Enter on a file moves to the button, imports nothing
        await settle(pilot)
        assert isinstance(app.screen, ImportFileDialog) and batch_count(demo_db) == before
        assert app.screen.focused is dialog.query_one("#accept", Button)
        await pilot.press("enter")
        await settle(pilot, rounds=8)
        assert isinstance(app.screen, ImportsScreen)
        batch = demo_db.one("SELECT id, file_name, orders_created FROM import_batch ORDER BY id DESC LIMIT 1")
        assert batch_count(demo_db) == before + 1 and batch["file_name"] == "orders.csv" and batch["orders_created"] == 5
        assert any(m.startswith(f"Batch {batch['id']} (woocommerce): 5 new, 0 updated orders; 0 rejects")
                   for m in messages(app))
        bar = app.screen.query_one("#import-bar", ProgressBar)
        assert app.screen.query_one("#import-progress").display and bar.progress == bar.total
        assert app.screen.query_one("#batches").current_row[0] == batch["id"]
        await pilot.press("i")                       # the same file again: the domain says so, writes nothing
        await settle(pilot)
        await highlight(pilot, "orders.csv")
        await pilot.click("#accept")
        await settle(pilot, rounds=8)
        assert any(f"already imported as batch {batch['id']}" in m for m in messages(app))
    assert batch_count(demo_db) == before + 1


async def test_cancel_imports_nothing(demo_db, tmp_path, monkeypatch):
    folder_with(tmp_path, monkeypatch, ("orders.csv", FIXTURE))
    before = batch_count(demo_db)
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dialog(pilot)
        await highlight(pilot, "orders.csv")
        await pilot.press("escape")
        await settle(pilot, rounds=6)
        assert isinstance(app.screen, ImportsScreen)
        assert not app.screen.query_one("#import-progress").display
        assert not [m for m in messages(app) if "Batch" in m]
    assert batch_count(demo_db) == before


async def test_a_file_no_profile_matches_shows_the_domains_sentence_and_writes_nothing(demo_db, tmp_path,
                                                                                        monkeypatch):
    folder_with(tmp_path, monkeypatch, ("mystery.csv", "colour,size\nred,3\n"))
    before = batch_count(demo_db)
    app = OmniApp(demo_db, "en", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dialog(pilot)
        preview = await highlight(pilot, "mystery.csv")
        assert "No profile matches this header" in preview
        await pilot.click("#accept")
        await settle(pilot, rounds=8)
        assert isinstance(app.screen, ImportsScreen) and app.screen.importing is None
        assert any("mystery.csv: no profile matches its header" in m for m in messages(app))
        assert not app.screen.query_one("#import-progress").display
    assert batch_count(demo_db) == before
