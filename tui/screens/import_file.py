"""The import dialog of the Imports screen (key `i`): a file picker over the current folder
showing only files omnictl imports, and for the highlighted file the profile detected and its
first orders as they would import (`omnictl channels detect`). It dismisses with the file to
import (None: cancelled); the Imports screen imports it."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Label, Static

from omnictl.browse import money
from omnictl.channels.catalog import detect_file
from tui.work import Failed, Loaded, load

IMPORTABLE = {".csv", ".tsv", ".txt", ".xlsx"}
DETECT_AFTER_S = 0.15          # a held arrow key detects only the file it stops on


class ImportableTree(DirectoryTree):
    """Folders and the files omnictl imports; hidden entries left out."""

    def filter_paths(self, paths):
        return [p for p in paths if not p.name.startswith(".")
                and (self._safe_is_dir(p) or p.suffix.lower() in IMPORTABLE)]


def preview_text(result, t) -> str:
    layout = (t("import.layout", encoding=result.encoding, delimiter=repr(result.delimiter), columns=result.columns)
              if result.encoding else t("import.xlsx", columns=result.columns))
    lines = [layout]
    if result.profile is None:
        lines.append(t("import.no_profile"))
        lines += [f"  {c['profile']}: {', '.join(c['missing_detect_columns'])}" for c in result.candidates[:3]]
        return "\n".join(lines)
    lines.append(t("import.profile", profile=result.profile, reason=result.reason))
    for item in result.preview:
        if "reject" in item:
            lines.append(t("import.reject", row=item["row"], reason=item["reject"]))
            continue
        lines.append(t("import.order", row=item["row"], order=item["order"], at=item["ordered_at"],
                       status=t.word(item["status"]), total=money(item["total_minor"], item["currency"])))
        lines += [f"  {line['quantity']} × {line['sku']} @ {money(line['unit_price_minor'], item['currency'])}"
                  for line in item["lines"]]
    return "\n".join(lines)


class ImportFileDialog(ModalScreen[Path | None]):
    """Pick a file and see how it would import; the Import button answers, Esc cancels. Enter on
    a file moves to the Import button, so a stray Enter never imports."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("backspace", "parent", "Parent folder", show=False)]

    def __init__(self, start: Path) -> None:
        super().__init__(classes="dialog-screen")
        self.start = start
        self.picked: Path | None = None
        self.detecting = 0
        self._timer = None

    def compose(self) -> ComposeResult:
        t = self.app.t
        with Vertical(classes="dialog wide", id="import-dialog"):
            yield Label(t("import.title"), classes="dialog-title")
            yield Label(t("import.hint"), id="import-hint")
            with Horizontal(id="import-body"):
                yield ImportableTree(self.start, id="import-tree")
                with VerticalScroll(id="import-preview"):
                    yield Static(t("import.pick"), id="import-detected", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(t("import.button"), variant="warning", id="accept", disabled=True)
                yield Button(t("dialog.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one(ImportableTree).focus()

    def on_tree_node_highlighted(self, event) -> None:
        event.stop()
        data = event.node.data
        path = getattr(data, "path", None)
        self.picked = path if path is not None and path.is_file() else None
        self.query_one("#accept", Button).disabled = self.picked is None
        if self.picked is None:
            self.query_one("#import-detected", Static).update(self.app.t("import.pick"))
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DETECT_AFTER_S, self._detect)

    def _detect(self) -> None:
        if self.picked is not None:
            self.query_one("#import-detected", Static).update(self.app.t("table.loading"))
            self.detecting = load(self, "detect", detect_file, self.picked)

    def on_loaded(self, message: Loaded) -> None:
        if message.purpose == "detect":
            message.stop()
            if message.number == self.detecting:
                self.query_one("#import-detected", Static).update(preview_text(message.result, self.app.t))

    def on_failed(self, message: Failed) -> None:
        if message.purpose == "detect":
            message.stop()                   # an unreadable file: said in the preview, not as an error
            if message.number == self.detecting:
                self.query_one("#import-detected", Static).update(message.text)

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.query_one("#accept", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.picked if event.button.id == "accept" else None)

    def action_parent(self) -> None:
        tree = self.query_one(ImportableTree)
        tree.path = Path(tree.path).resolve().parent

    def action_cancel(self) -> None:
        self.dismiss(None)
