"""Stock (key 3): positions per SKU and location, a shortage filter (the worst first), the move
trail of the selected SKU, and count mode for warehouse staff.

Count mode counts the location the filter names; with all locations shown, `c` asks which. The
scan field keeps the focus (the tables and filters are disabled) and the screen keys are off,
so a barcode's digits never switch screens. Each entry is a code (a master SKU code or
barcode) and Enter, and adds 1: scanning an item five times counts five. `CODE*N` adds N (a
case of 24: `CODE*24`; a correction: `CODE*-1`). A code that names no SKU is refused at once
(a line, a notification and the bell), never counted. The list shows the running count, the
book at the location and the difference. Ctrl+S (or F2) shows the reconciliation preview,
read only, in a confirmation with a reason: Apply stores the count and posts its corrections
in one transaction, Cancel leaves nothing behind. Esc leaves the count, asking first when
something was counted.
"""

from __future__ import annotations

from rich.markup import escape
from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select

from omnictl import browse, clock
from omnictl.importer import actor_name
from omnictl.inventory import list_moves, positions
from omnictl.reconcile import book_for_code, preview_counts, reconcile_counts
from tui.screens.common import ConsoleScreen, NavBar, localize_bindings
from tui.screens.dialogs import Choose, Confirm
from tui.widgets.keybar import KeyBar
from tui.widgets.vtable import Column, VirtualTable, rows_source
from tui.work import Failed, Loaded, load

POSITION_COLUMNS = (Column("sku", 14, grow=10), Column("location", 8, grow=4), Column("on hand", 8, right=True),
                    Column("reserved", 8, right=True), Column("atp", 8, right=True),
                    Column("open supply", 8, right=True), Column("status", 9, vocabulary=True))
MOVE_COLUMNS = (Column("time", 16), Column("location", 8), Column("qty", 7, right=True), Column("kind", 9),
                Column("balance", 7, right=True), Column("reason", 20, grow=40))
COUNT_COLUMNS = (Column("sku", 14, grow=30), Column("counted", 8, right=True), Column("book", 8, right=True),
                 Column("difference", 10, right=True))
MOVES_SHOWN = 500


def _positions(db, location: str | None, short: bool) -> list[tuple]:
    found = positions(db, location=location, short=short)
    if short:                                 # the worst first: oversold, then furthest below safety stock
        found = sorted(found, key=lambda p: (p.status != "oversold", p.atp - p.safety_stock))
    return [(p.sku, p.location, p.on_hand, p.reserved, p.atp, p.open_supply, p.status) for p in found]


def _moves(db, sku: str, location: str | None) -> list[tuple]:
    moves = list(list_moves(db, sku, location=location, last=MOVES_SHOWN))
    return [(clock.local(m.effective_at, "%Y-%m-%d %H:%M"), m.location, m.quantity, m.kind, m.balance, m.reason or m.ref or "")
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


class ScanField(Input):
    """The count's scan field. Enter takes what was typed before it and empties the field in
    the same step: Input's own Enter runs later, after the keys behind it, so a scanner's burst
    (`CODE⏎CODE⏎`) would run two codes together and the clearing would eat the next one.
    Its cursor does not blink: it always shows where a scan goes."""

    def on_mount(self) -> None:
        self.cursor_blink = False

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            value, self.value = self.value, ""
            self.post_message(self.Submitted(self, value))
            return
        await super()._on_key(event)


class StockScreen(ConsoleScreen):
    AUTO_FOCUS = "#positions"
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
        self.locations: list[tuple[str, str]] = []
        self.count_location: str | None = None
        self.counted: dict[str, float] = {}                  # SKU → units counted (by code or barcode)
        self.scanned_as: dict[str, str] = {}                 # SKU → the barcode last scanned for it
        self.pending: dict[str, float] = {}                  # code → units scanned while it is looked up
        self.books: dict[str, tuple[str, float | None]] = {}  # code → (SKU, book here; None: no SKU)
        self.scan_order: dict[str, int] = {}                 # code → when first scanned
        self.preview = None
        self.finish_waiting = self.previewing = False

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
            yield ScanField(placeholder=t("stock.scan"), id="scan")
            yield Label("", id="count-note", markup=False)
            yield VirtualTable(id="counted")
            yield Label("", id="count-totals")
        yield KeyBar()

    def on_mount(self) -> None:
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
        if not self.short:
            self.short = True
            self.read()

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
        elif purpose.startswith("book\t"):
            self._book_loaded(purpose, result)
        elif purpose == "preview":
            self._confirm(result)
        elif purpose == "applied":
            self._applied(result)

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
        """Count at the location the filter names; with all locations shown, ask which first."""
        if self.location is not None:
            self._start_count(self.location)
            return
        t = self.app.t
        if not self.locations:
            self.app.notify(t("stock.count_location"), severity="warning")
            return
        choices = [(code, f"{code}  {t.word(kind, 'location')}") for code, kind in self.locations]
        self.app.push_screen(Choose(t("stock.pick_location"), t("stock.pick_hint"), choices, self.locations[0][0]),
                             self._start_count)

    def _start_count(self, location: str | None) -> None:
        if location is None:                  # the location dialog was cancelled
            return
        self.count_location = location
        self.app.counting = True
        self.counted, self.scanned_as, self.books, self.pending, self.preview = {}, {}, {}, {}, None
        self.scan_order = {}
        self.finish_waiting = self.previewing = False
        self._browsing(False)
        self.query_one("#count-title", Label).update(
            self.app.t("stock.count_title", location=f"[reverse] {escape(location)} [/]"))
        self._note("")
        self.query_one("#scan", Input).focus()
        self._show_count()
        self.app.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id != "scan" or not self.app.counting:
            return
        entry = parse_entry(event.value)
        if entry is None:
            if event.value.strip():
                self.app.notify(self.app.t("stock.bad_entry", text=event.value), severity="warning", markup=False)
            return
        code, amount = entry
        self.scan_order.setdefault(code, len(self.scan_order))
        if code in self.books:
            self._add(code, amount, self.books[code])
            return
        # The first scan of a code waits for its lookup; scans before the answer add up here.
        first = code not in self.pending
        self.pending[code] = self.pending.get(code, 0.0) + amount
        if first:
            load(self, f"book\t{self.count_location}\t{code}", book_for_code, self.count_location, code)

    def _book_loaded(self, purpose: str, result: tuple[str, float | None]) -> None:
        _, location, code = purpose.split("\t", 2)
        if not self.app.counting or location != self.count_location:
            return                            # an answer for a count that was left
        self.books[code] = result
        amount = self.pending.pop(code, None)
        if amount is not None:
            self._add(code, amount, result)
        if self.finish_waiting and not self.pending:
            self.finish_waiting = False
            self.action_finish()

    def on_failed(self, message: Failed) -> None:
        # The app shows the sentence; a failed lookup must not hold the finish back.
        if message.purpose.startswith("book\t"):
            self.pending.pop(message.purpose.split("\t", 2)[2], None)
        elif message.purpose == "preview":
            self.previewing = False

    def _add(self, code: str, amount: float, book: tuple[str, float | None]) -> None:
        """Count a scan, or refuse a code that names no SKU at once (scanner users listen)."""
        if book[1] is None:
            text = self.app.t("stock.unknown_code", code=code)
            self._note(text)
            self.app.notify(text, severity="warning", timeout=8, markup=False)
            self.app.bell()
            return
        self._note("")
        sku = book[0]                         # a SKU scanned by code and by barcode is one line
        self.counted[sku] = self.counted.get(sku, 0.0) + amount
        if code != sku:
            self.scanned_as[sku] = code
        self._show_count()

    def _note(self, text: str) -> None:
        note = self.query_one("#count-note", Label)
        note.update(text)
        note.display = bool(text)

    def count_rows(self) -> list[tuple]:
        rows = []
        # in the order first scanned (by code or barcode), whichever lookup answered first
        first_scanned: dict[str, int] = {}
        for code, order in self.scan_order.items():
            sku = self.books.get(code, (None,))[0]
            if sku is not None and sku not in first_scanned:
                first_scanned[sku] = order
        for sku, quantity in sorted(self.counted.items(), key=lambda item: first_scanned.get(item[0], 0)):
            code = self.scanned_as.get(sku, sku)
            book = self.books[code][1]
            shown = sku if sku == code else f"{sku} ({code})"
            rows.append((shown, quantity, book, quantity - book))
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
        if self.pending:                      # codes still being looked up: finish when they are
            self.finish_waiting = True
            return
        if not self.counted:
            self.app.notify(self.app.t("stock.scan"), severity="warning")
            return
        if self.previewing:
            return
        self.previewing = True
        load(self, "preview", preview_counts, self.count_location, dict(self.counted))

    def _confirm(self, report) -> None:
        """The preview was read, not written: Cancel leaves nothing behind."""
        self.previewing = False
        self.preview = report
        t = self.app.t
        lines = [f"{line.sku:<16} {line.book:>8g} → {line.counted:>8g}  {line.difference:+g}"
                 for line in report.lines if line.difference]
        lines += [f"? {unknown.sku}" for unknown in report.unknown_skus]
        value = browse.money(report.value_minor, report.currency)
        body = t("stock.confirm_lines", differences=t.plural("stock.differences", report.differences), value=value)
        if report.unknown_skus:
            body += "; " + t.plural("stock.unknown_codes", len(report.unknown_skus))
        body += "\n\n" + "\n".join(lines)
        self.app.push_screen(Confirm(t("stock.confirm_title", location=self.count_location), body,
                                     t("dialog.apply"), t("stock.reason"), t("stock.default_reason")),
                             self._apply)

    def _apply(self, reason: str | None) -> None:
        """Store the count and post its corrections in one transaction, as the preview showed it."""
        if reason is None:
            self.query_one("#scan", Input).focus()
            return
        load(self, "applied", reconcile_counts, self.count_location, dict(self.counted),
             at=self.preview.counted_at, apply=True, reason=reason, actor=actor_name())

    def _applied(self, report) -> None:
        t = self.app.t
        if report.already_applied_as is not None:
            self.app.notify(t("stock.already_applied", count=report.already_applied_as), severity="warning")
        else:
            self.app.notify(t.plural("stock.applied", report.moves_posted))
        self._end_count()
        self.refresh_data()

    def _browsing(self, on: bool) -> None:
        """Browsing widgets, or the count panel alone (nothing else can take the focus)."""
        for widget_id in ("#positions", "#moves", "#location", "#moves-title", ".filters"):
            widget = self.query_one(widget_id)
            widget.disabled = not on
            widget.display = on
        self.query_one("#count-panel").display = not on

    def action_leave_count(self) -> None:
        """Leave at once when nothing was counted; otherwise ask, Cancel first (a stray scan
        and Enter must not throw a count away)."""
        if not self.counted and not self.pending:
            self._end_count()
            return
        t = self.app.t
        skus = set(self.counted) | set(self.pending)
        units = sum(self.counted.values()) + sum(self.pending.values())
        body = t("stock.leave_body", skus=t.plural("stock.counted_skus", len(skus)),
                 units=t.plural("stock.units", units))
        self.app.push_screen(Confirm(t("stock.leave_title"), body, t("dialog.discard")), self._leave)

    def _leave(self, answer: str | None) -> None:
        if answer is None:
            self.query_one("#scan", Input).focus()
            return
        self._end_count()
        self.app.notify(self.app.t("stock.count_left"))

    def _end_count(self) -> None:
        self.app.counting = False
        self.counted, self.scanned_as, self.pending, self.finish_waiting = {}, {}, {}, False
        self.scan_order = {}
        self._browsing(True)
        self.query_one("#positions", VirtualTable).focus()
        self.app.refresh_bindings()
