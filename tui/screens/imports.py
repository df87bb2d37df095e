"""Imports (key 7): recent import batches, the rejects of the selected one (row and reason),
and the channel SKUs waiting for a mapping; Enter (or `m`) on one maps it to a master SKU,
which resolves its waiting lines as `omnictl skus map` does. `i` imports a file: a picker with
the detected profile and first orders (tui/screens/import_file.py), then `omnictl import`'s
domain function in a worker with its progress, and the batch it wrote (or the file's error)."""

from __future__ import annotations

import getpass
from pathlib import Path

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, ProgressBar

from omnictl import clock
from omnictl.batches import get_batch, list_batches
from omnictl.browse import closest_skus
from omnictl.importer import actor_name, import_files
from omnictl.skus import map_sku, unmapped
from tui.screens.common import ConsoleScreen, NavBar, localize_bindings
from tui.screens.dialogs import AskText
from tui.screens.import_file import ImportFileDialog
from tui.widgets.keybar import KeyBar
from tui.widgets.vtable import Column, VirtualTable, rows_source
from tui.work import Failed, Loaded, load

BATCHES_SHOWN = 200
BATCH_COLUMNS = (Column("id", 4, right=True), Column("time", 16), Column("channel", 8, grow=4),
                 Column("file", 16, grow=30), Column("imported", 6, right=True), Column("rejected", 6, right=True),
                 Column("unmapped", 6, right=True))
REJECT_COLUMNS = (Column("row", 5, right=True), Column("field", 12), Column("reason", 40, grow=60))
UNMAPPED_COLUMNS = (Column("channel", 8, grow=4), Column("external sku", 16, grow=10),
                    Column("product", 20, grow=30), Column("lines", 5, right=True), Column("qty", 6, right=True))


def _batches(db) -> list[tuple]:
    return [(b.id, clock.local(b.started_at, "%Y-%m-%d %H:%M"), b.channel or b.kind, b.file, b.imported, b.rejected,
             b.unmapped) for b in list_batches(db, limit=BATCHES_SHOWN)]


def _rejects(db, batch_id: int) -> list[tuple]:
    return [(r.row, r.field or "", r.reason) for r in get_batch(db, batch_id).rejects or []]


def _unmapped(db) -> list[tuple]:
    return [(u.channel, u.external_sku, u.product_name or "", u.lines, u.quantity) for u in unmapped(db)]


class ImportProgress(Message):
    """The import read `rows` rows of its file (posted from the worker thread)."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows


class ImportsScreen(ConsoleScreen):
    AUTO_FOCUS = "#batches"
    BINDINGS = [Binding("m", "map", "key.map"), Binding("i", "import_file", "key.import")]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.app.t)
        self.batch: int | None = None
        self.mapping: tuple[str, str, str] | None = None     # channel, channel SKU, product
        self.closest: list[str] = []
        self.importing: Path | None = None
        self.folder: Path | None = None          # the picker opens where the last file was picked

    def compose(self) -> ComposeResult:
        yield NavBar("imports")
        with Horizontal(id="import-progress"):
            yield ProgressBar(total=None, show_eta=False, id="import-bar")
            yield Label("", id="import-status")
        yield VirtualTable(id="batches")
        yield Label("", id="rejects-title", classes="section")
        yield VirtualTable(id="rejects")
        yield Label(self.app.t("imports.unmapped"), classes="section")
        yield VirtualTable(id="unmapped")
        yield KeyBar()

    def commands(self):
        yield SystemCommand(self.app.t("key.map"), self.app.t("imports.map_help"), self.action_map)
        yield SystemCommand(self.app.t("key.import"), self.app.t("import.help"), self.action_import_file)

    def refresh_data(self) -> None:
        load(self, "batches", _batches)
        load(self, "unmapped", _unmapped)
        if self.batch is not None:
            load(self, "rejects", _rejects, self.batch)

    def on_loaded(self, message: Loaded) -> None:
        purpose, result = message.purpose, message.result
        if purpose == "batches":
            self.query_one("#batches", VirtualTable).show(rows_source("imports", BATCH_COLUMNS, result))
        elif purpose == "rejects":
            self.query_one("#rejects", VirtualTable).show(
                rows_source(f"rejects-{self.batch}", REJECT_COLUMNS, result, key=(self.batch,)))
        elif purpose == "unmapped":
            self.query_one("#unmapped", VirtualTable).show(rows_source("unmapped", UNMAPPED_COLUMNS, result))
        elif purpose == "closest":
            self._ask_with(result)
        elif purpose == "mapped":
            self.app.notify(self.app.t("imports.mapped", external=result.external_sku, sku=result.sku,
                                       lines=result.lines_mapped))
            self.refresh_data()
        elif purpose == "import":
            self._imported(result)

    def on_failed(self, message: Failed) -> None:
        if message.purpose == "import":          # the app notifies the sentence; nothing was written
            self.importing = None
            self.query_one("#import-progress").display = False

    def on_import_progress(self, message: ImportProgress) -> None:
        if self.importing is not None:
            self.query_one("#import-status", Label).update(
                self.app.t("import.running", file=self.importing.name, rows=message.rows))

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        event.stop()
        if event.table.id == "batches" and event.row is not None and event.row[0] != self.batch:
            self.batch = event.row[0]
            self.query_one("#rejects-title", Label).update(self.app.t("imports.rejects", batch=self.batch,
                                                                      file=event.row[3]))
            load(self, "rejects", _rejects, self.batch)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        if event.table.id == "unmapped":
            self._ask_mapping(event.row)

    def action_map(self) -> None:
        row = self.query_one("#unmapped", VirtualTable).current_row
        if row is not None:
            self._ask_mapping(row)

    def _ask_mapping(self, row: tuple) -> None:
        self.mapping = (row[0], row[1], row[2])
        load(self, "closest", closest_skus, row[1], row[2])

    def _ask_with(self, closest: list[tuple[str, str]]) -> None:
        t = self.app.t
        channel, external, product = self.mapping
        self.closest = [code for code, _ in closest]
        hint = "\n".join([t("imports.closest")] + [f"  {i}  {code}  {name}" for i, (code, name) in enumerate(closest, 1)]
                         if closest else [t("imports.no_closest")])
        self.app.push_screen(AskText(t("imports.map_prompt", channel=channel, external=external, product=product),
                                     hint=hint), self._map)

    def _map(self, answer: str | None) -> None:
        if not answer or self.mapping is None:
            return
        pick = int(answer) - 1 if answer.isdigit() else -1
        sku = self.closest[pick] if 0 <= pick < len(self.closest) else answer
        channel, external, _ = self.mapping
        load(self, "mapped", map_sku, channel, external, sku, actor=getpass.getuser() or "console")

    # -- importing a file --------------------------------------------------------------------

    def action_import_file(self) -> None:
        if self.importing is not None:
            self.app.notify(self.app.t("import.busy"), severity="warning")
            return
        self.app.push_screen(ImportFileDialog(self.folder or Path.cwd()), self._import)

    def _import(self, path: Path | None) -> None:
        if path is None:
            return
        self.importing, self.folder = path, path.parent
        self.query_one("#import-bar", ProgressBar).update(total=None, progress=0)
        self.query_one("#import-status", Label).update(self.app.t("import.running", file=path.name, rows=0))
        self.query_one("#import-progress").display = True
        screen = self

        def progress(rows: int) -> None:
            screen.post_message(ImportProgress(rows))

        load(self, "import", import_files, [path], actor=actor_name(), progress=progress)

    def _imported(self, results) -> None:
        t = self.app.t
        rows = sum(r.rows_read for r in results)
        self.query_one("#import-bar", ProgressBar).update(total=max(rows, 1), progress=max(rows, 1))
        self.query_one("#import-status", Label).update(t("import.finished", file=self.importing.name, rows=rows))
        self.importing = None
        for result in results:                   # a file already imported: the domain's note says so
            done = [] if result.already_imported_as is not None else [t(
                "import.done", batch=result.batch, channel=result.channel, new=result.orders_created,
                updated=result.orders_updated, rejected=result.rejected, unmapped=result.unmapped)]
            self.app.notify("\n".join([*done, *result.notes]), timeout=8,
                            severity="warning" if result.rejected else "information")
        self.refresh_data()
