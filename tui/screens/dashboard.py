"""Dashboard (key 1, the first screen): what needs attention today at a glance. KPI tiles
against their targets with a two-week trend (from the stored close, else computed), the last
close and its checks, open exceptions by owner, the open T-3 list, oversold and short SKUs,
and the channels whose daily file has not come in. Everything is read by
`omnictl.dashboard.dashboard`. Each list leads to the screen where its work is done: Tab moves
between the lists, Enter (or a click) opens that screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Static

from omnictl import clock
from omnictl.dashboard import close_and_exceptions, stock_and_orders
from tui.screens.common import ConsoleScreen, NavBar, localize_bindings
from tui.widgets.keybar import KeyBar
from tui.work import Loaded, load

SPARKS = "▁▂▃▄▅▆▇█"
STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}
OWNERS_SHOWN = 8
LATE_SHOWN = 5


def sparkline(values: list[float | None]) -> str:
    """One character a day, scaled between the smallest and largest known value; a gap where
    the day has no figure."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(" " if v is None else SPARKS[round((v - low) / span * (len(SPARKS) - 1))] for v in values)


def _number(value: float | None, unit: str, t) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f} %" if unit == "%" else f"{value:,.1f} {t(f'unit.{unit}') if unit else ''}".rstrip()


def tile_text(tile, t) -> Text:
    """The value against its target, then the trend (the status is the tile's subtitle)."""
    good = tile.status == "ok"
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(_number(tile.value, tile.unit, t), style="bold green" if good else "bold" if tile.value is None
                else "bold red")
    if tile.target is not None:
        text.append(f"  {t('dash.target')} {tile.target:g}", style="dim")
    text.append("\n")
    text.append(sparkline(tile.trend), style="cyan")
    return text


def close_text(board, t) -> Text:
    close = board.close
    if close is None:
        return Text(t("dash.no_close"), style="yellow")
    text = Text()
    text.append(t("dash.close", date=close.date) + " ")
    text.append(t.word(close.status).upper(), style=STATUS_STYLE.get(close.status, ""))
    text.append(f"  ({clock.local(close.ran_at, '%Y-%m-%d %H:%M')}, {close.actor}):", style="dim")
    for name, status in close.checks.items():
        text.append(f" {t.word(name, 'check')} ")
        text.append(t.word(status), style=STATUS_STYLE.get(status, ""))
    return text


def _line(*parts: tuple[str, str]) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for part, style in parts:
        text.append(part, style=style)
    return text


def _lines(lines: list[Text]) -> Text:
    """One line each, cut with an ellipsis rather than wrapped: the columns stay aligned."""
    return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)


def owners_text(board, t) -> Text:
    total = sum(board.owners.values())
    lines = [_line((t("dash.owners", count=total), "bold"))]
    if not board.owners:
        lines.append(_line(("  " + t("dash.nothing_open"), "green")))
    for owner, count in list(board.owners.items())[:OWNERS_SHOWN]:
        lines.append(_line((f"{count:>4}  ", "bold"), (owner, "")))
    if len(board.owners) > OWNERS_SHOWN:
        lines.append(_line(("  " + t("dash.more", count=len(board.owners) - OWNERS_SHOWN), "dim")))
    return _lines(lines)


def late_text(board, t) -> Text:
    lines = [_line((t("dash.late", count=board.late_total), "bold red" if board.late_total else "bold"))]
    if not board.late:
        lines.append(_line(("  " + t("dash.none"), "green")))
    for order in board.late[:LATE_SHOWN]:
        lines.append(_line((f"  {order.channel:<8} ", "bold"), (f"{order.order:<19} ", ""),
                           (t("dash.days_late", days=order.days), "red")))
    if board.late_total > LATE_SHOWN:
        lines.append(_line(("  " + t("dash.more", count=board.late_total - LATE_SHOWN), "dim")))
    return _lines(lines)


def t3_text(board, t) -> Text:
    lines = [_line((t("dash.t3", count=board.t3_total), "bold red" if board.t3 else "bold"))]
    if not board.t3:
        lines.append(_line(("  " + t("dash.none"), "green")))
    for e in board.t3:
        subject = e.subject.split(":", 1)[-1]
        lines.append(_line((f"  #{e.id} ", "bold"), (subject, "bold"),
                           (f"  {t.word(e.action) if e.action else t('dash.no_action')}", "yellow"),
                           (f"  {e.owner}", "dim"), (f"  {t.message(e.finding_msg, e.finding)}", "dim")))
    if board.t3_total > len(board.t3):
        lines.append(_line(("  " + t("dash.more", count=board.t3_total - len(board.t3)), "dim")))
    return _lines(lines)


def short_text(board, t) -> Text:
    lines = [_line((t("dash.short", count=board.short_total), "bold"))]
    if not board.short:
        lines.append(_line(("  " + t("dash.none"), "green")))
    for s in board.short:
        oversold = s.status == "oversold"
        lines.append(_line((f"  {s.sku:<11} {s.location:<6}", ""),
                           (f"{s.atp:>4g}/{s.safety_stock:<3g} ", "bold red" if oversold else ""),
                           (t.word(s.status), "bold red" if oversold else "yellow")))
    if board.short_total > len(board.short):
        lines.append(_line(("  " + t("dash.more", count=board.short_total - len(board.short)), "dim")))
    return _lines(lines)


def stale_text(board, t) -> Text:
    lines = [_line((t("dash.stale", count=len(board.stale)), "bold yellow" if board.stale else "bold"))]
    if not board.stale:
        lines.append(_line(("  " + t("dash.all_fresh"), "green")))
    for channel in board.stale:
        last = clock.local(channel.last_import, "%Y-%m-%d %H:%M") if channel.last_import else t("dash.never")
        lines.append(_line((f"  {channel.code:<10}", "bold"), (f" {t('dash.last')} {last}", "")))
    return _lines(lines)


class Panel(Static, can_focus=True):
    """A list on the dashboard that leads to the screen where its work is done."""

    BINDINGS = [Binding("enter", "choose", "key.open")]

    class Chosen(Message):
        def __init__(self, panel: Panel) -> None:
            super().__init__()
            self.panel = panel

    def __init__(self, *, id: str, leads_to: str) -> None:
        super().__init__("", id=id)
        self.leads_to = leads_to

    def on_mount(self) -> None:
        localize_bindings(self, self.app.t)

    def action_choose(self) -> None:
        self.post_message(self.Chosen(self))

    def on_click(self) -> None:
        self.action_choose()


class Column(VerticalScroll, can_focus=False):
    """Scrolls its panels; the panels take the focus."""


class DashboardScreen(ConsoleScreen):
    AUTO_FOCUS = "#t3"

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.app.t)
        self.board = None

    def compose(self) -> ComposeResult:
        t = self.app.t
        yield NavBar("dashboard")
        yield Label(t("table.loading"), id="dash-title", classes="section")
        with Horizontal(id="tiles"):
            for name in ("on_time_delivery", "oee", "turnover_days"):
                tile = Static("", id=f"tile-{name}", classes="tile")
                tile.border_title = t(f"kpi.{name}")
                yield tile
        yield Static("", id="close-status")
        with Horizontal(id="dash-lists"):
            with Column(id="dash-left", classes="dash-column"):
                yield Panel(id="t3", leads_to="close")
                yield Panel(id="late", leads_to="orders")
                yield Panel(id="owners", leads_to="close")
            with Column(id="dash-right", classes="dash-column"):
                yield Panel(id="short", leads_to="stock")
                yield Panel(id="stale", leads_to="imports")
        yield KeyBar()

    def on_panel_chosen(self, message: Panel.Chosen) -> None:
        self.app.action_show(message.panel.leads_to)
        if message.panel.id == "short":
            self.app.screen.show_shortages()

    def refresh_data(self) -> None:
        """The close and exceptions first; then the stock and order lists (a scan of the book,
        0.7 s at a million lines, which beside the first read held its answer back)."""
        load(self, "dashboard", close_and_exceptions)

    def on_loaded(self, message: Loaded) -> None:
        t = self.app.t
        if message.purpose == "lists":
            lists = message.result
            self.query_one("#late", Static).update(late_text(lists, t))
            self.query_one("#short", Static).update(short_text(lists, t))
            self.query_one("#stale", Static).update(stale_text(lists, t))
            return
        if message.purpose != "dashboard":
            return
        board = self.board = message.result
        load(self, "lists", stock_and_orders)
        source = t("dash.from_close") if board.close is not None else t("dash.computed")
        self.query_one("#dash-title", Label).update(t("dash.title", today=board.today, day=board.kpi_day,
                                                     source=source))
        for tile in board.kpis:
            widget = self.query_one(f"#tile-{tile.name}", Static)
            widget.update(tile_text(tile, t))
            widget.set_class(tile.status not in ("ok", "n/a"), "off-target")
            widget.border_subtitle = t.word(tile.status)
        self.query_one("#close-status", Static).update(close_text(board, t))
        self.query_one("#t3", Static).update(t3_text(board, t))
        self.query_one("#owners", Static).update(owners_text(board, t))
        getattr(self.app, "rows_shown", lambda: None)()
