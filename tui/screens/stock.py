"""Stock (key 3): positions per SKU and location, a shortage filter, the move trail of the
selected SKU, and count mode for warehouse staff.

Count mode: the scan field keeps the focus (the tables and filters are disabled) and the
screen keys are off, so a barcode's digits never switch screens. Each entry is a code (a
master SKU code or barcode) and Enter, and adds 1: scanning an item five times counts five.
`CODE*N` adds N (a case of 24: `CODE*24`; a correction: `CODE*-1`). The list shows the
running count, the book at the location and the difference. Ctrl+S (or F2) hands the count to
the reconciliation: a preview first, then a confirmation with a reason; nothing is applied
before that. Esc leaves the count without applying anything.
"""

from __future__ import annotations

import getpass

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select

from omnictl import browse
from omnictl.inventory import list_moves, positions
from omnictl.reconcile import book_for_code, reconcile_counts
from tui.screens.common import ConsoleScreen, NavBar, localize_bindings
from tui.screens.dialogs import Confirm
from tui.widgets.keybar import KeyBar
from tui.widgets.vtable import Column, VirtualTable, rows_source
from tui.work import Loaded, load

POSITION_COLUMNS = (Column("sku", 14, grow=10), Column("location", 8, grow=4), Column("on hand", 8, right=True),
                    Column("reserved", 8, right=True), Column("atp", 8, right=True),
                    Column("open supply", 8, right=True), Column("status", 9, vocabulary=True))
MOVE_COLUMNS = (Column("time", 16), Column("location", 8), Column("qty", 7, right=True), Column("kind", 9),
                Column("balance", 7, right=True), Column("reason", 20, grow=40))
COUNT_COLUMNS = (Column("sku", 14, grow=30), Column("counted", 8, right=True), Column("book", 8, right=True),
                 Column("difference", 10, right=True))
MOVES_SHOWN = 500


def _positions(db, location: str | None, short: bool) -> list[tuple]:
    return [(p.sku, p.location, p.on_hand, p.reserved, p.atp, p.open_supply, p.status)
            for p in positions(db, location=location, short=short)]


def _moves(db, sku: str, location: str | None) -> list[tuple]:
    moves = list(list_moves(db, sku, location=location))[-MOVES_SHOWN:]
    return [(m.effective_at.replace("T", " ")[:16], m.location, m.quantity, m.kind, m.balance, m.reason or m.ref or "")
            for m in reversed(moves)]


def parse_entry(text: str) -> tuple[str, float] | None:
    """`CODE` → (CODE, 1); `CODE*N` → (CODE, N); anything else None."""
    code, star, amount = text.strip().partition("*")
    code = code.strip()
    if not code:
        return None
    if not star:
        return code, 1.0
    try:
        return code, float(amount.strip().replace(",", "."))
    except ValueError:
        return None


class StockScreen(ConsoleScreen):
    BINDINGS = [
        Binding("s", "shortage", "key.shortage"),
        Binding("c", "count", "key.count"),
        Binding("ctrl+s,f2", "finish", "key.finish"),
        Binding("escape", "leave_count", "key.cancel_count"),
    ]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.app.t)
        self.short = False
        self.location: str | None = None
        self.sku: str | None = None
        self.count_location: str | None = None
        self.counted: dict[str, float] = {}
        self.books: dict[str, tuple[str, float | None]] = {}
        self.preview = None

    def compose(self) -> ComposeResult:
        t = self.app.t
        yield NavBar("stock")
        with Horizontal(classes="filters"):
            yield Select([], prompt=t("stock.all_locations"), id="location", compact=True)
            yield Label("", id="shortage-flag")
        yield VirtualTable(id="positions")
        yield Label("", id="moves-title", classes="section")
        yield VirtualTable(id="moves")
        with Vertical(id="count-panel"):
            yield Label("", id="count-title", classes="section")
            yield Input(placeholder=t("stock.scan"), id="scan")
            yield VirtualTable(id="counted")
            yield Label("", id="count-totals")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#count-panel").display = False
        self.query_one("#positions", VirtualTable).focus()
        load(self, "locations", browse.location_codes)

    def commands(self):
        yield SystemCommand(self.app.t("key.count"), self.app.t("cmd.count"), self.action_count)
        yield SystemCommand(self.app.t("key.shortage"), self.app.t("stock.shortage_on"), self.action_shortage)

    def check_action(self, action: str, parameters) -> bool | None:
        counting = self.app.counting
        if action in ("finish", "leave_count"):
            return counting
        if action in ("shortage", "count"):
            return not counting
        return True

    # -- attributes down --------------------------------------------------------------------

    def show_shortages(self) -> None:
        """Open with the shortage filter on (from the dashboard)."""
        self.short = True

    def refresh_data(self) -> None:
        self.query_one("#shortage-flag", Label).update(self.app.t("stock.shortage_on") if self.short else "")
        load(self, "positions", _positions, self.location, self.short)
        if self.sku:
            load(self, "moves", _moves, self.sku, self.location)

    def on_loaded(self, message: Loaded) -> None:
        purpose, result = message.purpose, message.result
        if purpose == "locations":
            self.locations = result
            self.query_one("#location", Select).set_options([(code, code) for code, _ in result])
        elif purpose == "positions":
            self.query_one("#positions", VirtualTable).show(
                rows_source("stock", POSITION_COLUMNS, result, key=(self.location, self.short)))
        elif purpose == "moves":
            self.query_one("#moves", VirtualTable).show(rows_source(f"moves-{self.sku}", MOVE_COLUMNS, result,
                                                                    key=(self.sku, self.location)))
        elif purpose.startswith("book:"):
            self.books[purpose[5:]] = result
            self._show_count()
        elif purpose == "preview":
            self._confirm(result)
        elif purpose == "applied":
            self.app.notify(self.app.t("stock.applied", moves=result.moves_posted))
            self._end_count()
            self.refresh_data()

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        event.stop()
        if event.table.id == "positions" and event.row is not None and event.row[0] != self.sku:
            self.sku = event.row[0]
            self.query_one("#moves-title", Label).update(self.app.t("stock.moves", sku=self.sku))
            load(self, "moves", _moves, self.sku, self.location)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.location = None if event.value is Select.NULL else event.value
        self.refresh_data()

    def action_shortage(self) -> None:
        self.short = not self.short
        self.refresh_data()

    # -- count mode ---------------------------------------------------------------------------

    def action_count(self) -> None:
        locations = getattr(self, "locations", [])
        self.count_location = self.location or next((code for code, kind in locations if kind == "warehouse"),
                                                    locations[0][0] if locations else None)
        if self.count_location is None:
            self.app.notify(self.app.t("stock.count_location"), severity="warning")
            return
        self.app.counting = True
        self.counted, self.books, self.preview = {}, {}, None
        self._browsing(False)
        self.query_one("#count-title", Label).update(self.app.t("stock.count_title", location=self.count_location))
        self.query_one("#scan", Input).focus()
        self._show_count()
        self.app.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id != "scan" or not self.app.counting:
            return
        event.input.value = ""
        entry = parse_entry(event.value)
        if entry is None:
            if event.value.strip():
                self.app.notify(self.app.t("stock.bad_entry", text=event.value), severity="warning")
            return
        code, amount = entry
        self.counted[code] = self.counted.get(code, 0.0) + amount
        if code not in self.books:
            load(self, f"book:{code}", book_for_code, self.count_location, code)
        self._show_count()

    def count_rows(self) -> list[tuple]:
        rows = []
        for code, quantity in self.counted.items():
            sku, book = self.books.get(code, (code, None))
            shown = sku if sku == code else f"{sku} ({code})"
            rows.append((shown, quantity, book, None if book is None else quantity - book))
        return rows

    def _show_count(self) -> None:
        rows = self.count_rows()
        self.query_one("#counted", VirtualTable).show(rows_source("count", COUNT_COLUMNS, rows, key=("count",)))
        self.query_one("#counted", VirtualTable).action_edge(1)
        difference = sum(r[3] for r in rows if r[3] is not None)
        self.query_one("#count-totals", Label).update(
            f"{len(rows)} SKU · {sum(r[1] for r in rows):g} · Δ {difference:+g}   "
            f"[dim]{self.app.t('stock.counting_keys_off')}[/dim]")

    def action_finish(self) -> None:
        if not self.counted:
            self.app.notify(self.app.t("stock.scan"), severity="warning")
            return
        load(self, "preview", reconcile_counts, self.count_location, dict(self.counted))

    def _confirm(self, report) -> None:
        self.preview = report
        t = self.app.t
        lines = [f"{line.sku:<16} {line.book:>8g} → {line.counted:>8g}  {line.difference:+g}"
                 for line in report.lines if line.difference]
        lines += [f"? {unknown.sku}" for unknown in report.unknown_skus]
        value = browse.money(report.value_minor, report.currency)
        body = t("stock.confirm_lines", differences=report.differences, value=value,
                 unknown=len(report.unknown_skus)) + "\n\n" + "\n".join(lines)
        self.app.push_screen(Confirm(t("stock.confirm_title", location=self.count_location), body,
                                     t("dialog.apply"), t("stock.reason"), t("stock.default_reason")),
                             self._apply)

    def _apply(self, reason: str | None) -> None:
        if reason is None:
            self.query_one("#scan", Input).focus()
            return
        load(self, "applied", reconcile_counts, self.count_location, dict(self.counted),
             at=self.preview.counted_at, apply=True, reason=reason, actor=getpass.getuser() or "console")

    def _browsing(self, on: bool) -> None:
        """Browsing widgets, or the count panel alone (nothing else can take the focus)."""
        for widget_id in ("#positions", "#moves", "#location", "#moves-title", ".filters"):
            widget = self.query_one(widget_id)
            widget.disabled = not on
            widget.display = on
        self.query_one("#count-panel").display = not on

    def action_leave_count(self) -> None:
        self._end_count()
        self.app.notify(self.app.t("stock.count_left"))

    def _end_count(self) -> None:
        self.app.counting = False
        self._browsing(True)
        self.query_one("#positions", VirtualTable).focus()
        self.app.refresh_bindings()
