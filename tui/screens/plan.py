"""Plan (key 4): the Gantt of the current schedule, drawn by omnictl.planning.gantt (text and
style spans); scroll in time, zoom day/hour, by resource or by order; late and bottleneck
work highlighted. Up/down pick an order, Enter explains it; `r` rushes an order: the what-if
first, then a confirmation before the new plan is accepted."""

from __future__ import annotations

import getpass
import re
from datetime import datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from omnictl import clock
from omnictl.planning.gantt import ENGLISH, GanttWords, render_gantt
from omnictl.planning.orders import explain
from omnictl.planning.schedule import gantt_rows, rush
from tui.screens.common import ConsoleScreen, NavBar, localize_bindings
from tui.screens.dialogs import AskText, Confirm, ShowText
from tui.widgets.keybar import KeyBar
from tui.work import Loaded, load

STYLES = {"bar": "on blue", "late": "bold white on red", "bottleneck": "black on yellow", "frozen": "on grey35",
          "today": "bold magenta", "due": "bold red", "axis": "dim", "label": "bold", "planned": "on blue"}
ZOOMS = {"day": timedelta(days=7), "hour": timedelta(days=1)}


def picked_line(lines, label: str | None) -> int | None:
    """The first line of the row `label` (a row's label is on its first line only)."""
    if label is None:
        return None
    return next((i for i, line in enumerate(lines) if line.text.startswith(label + " ")), None)


RULE = re.compile(r"[\s\-+|│┃▏]*-[\s\-+|│┃▏]*")


def split_chart(lines, words: GanttWords = ENGLISH) -> tuple[list, list, list]:
    """(axis lines, row lines, legend lines): the axis and legend stay put while rows scroll."""
    axis_end = next((i + 1 for i, line in enumerate(lines) if RULE.fullmatch(line.text)), 0)
    legend = next((i for i, line in enumerate(lines) if line.text.startswith(words.legend)), len(lines))
    return lines[:axis_end], lines[axis_end:legend], lines[legend:]


def gantt_words(t) -> GanttWords:
    return GanttWords(legend=t("gantt.legend"), kinds=tuple(t(f"gantt.{kind}") for kind in ENGLISH.kinds),
                      times_in=t("gantt.times_in"), weekdays=tuple(t("gantt.weekdays").split()))


def gantt_text(lines, picked: int | None = None) -> Text:
    text = Text()
    for i, line in enumerate(lines):
        piece = Text(line.text)
        for span in line.char_spans():
            piece.stylize(STYLES.get(span.style, ""), span.start, span.end)
        if i == picked:
            piece.stylize("reverse", 0, len(line.text.split(" ", 1)[0]))
        text.append_text(piece)
        if i < len(lines) - 1:
            text.append("\n")
    return text


def explain_text(info) -> str:
    order = info.order
    lines = [f"{order.number}  {order.sku} × {order.quantity:g}  due {order.due_on}  {order.status}",
             f"planned {clock.local(order.planned_start)} → {clock.local(order.planned_end)}",
             f"priority {order.priority if order.priority is not None else '-'}   ({info.score_formula})"]
    parts = order.priority_parts
    if parts is not None:
        for name in ("urgency", "tier", "margin"):
            part = getattr(parts, name)
            lines.append(f"  {name}: {part.value:.2f} × {part.weight:g} = {part.contribution:.2f}  ({part.basis})")
    if order.served:
        lines.append("serves: " + ", ".join(f"{s.channel} {s.order} ×{s.quantity:g} (ship by {s.ship_by})"
                                            for s in order.served))
    lines += [f"op {op.seq} {op.work_center} {op.status} {clock.local(op.planned_start)} → {clock.local(op.planned_end)}"
              for op in info.operations]
    lines += [f"short {m.component}: {m.short:g} (covered {m.covered_on or 'not yet'})"
              for m in info.materials if m.short > 0]
    lines += [f"waits: {w}" for w in info.waits]
    if info.late_reason:
        lines.append(f"late: {info.late_reason}")
    lines += info.notes
    return "\n".join(lines)


def rush_text(result, t) -> str:
    """What the rush would change, in company time; orders whose end does not move are left out."""
    lines = [t("plan.otd", before=result.otd_before, after=result.otd_after)]
    if result.newly_late:
        lines.append(t("plan.newly_late", orders=", ".join(result.newly_late)))
    moved = [m for m in result.moved if m.get("end_before") != m.get("end_after")]
    if not any(m["order"] in result.rushed for m in moved):
        lines.append(t("plan.rush_no_gain", orders=", ".join(result.rushed)))
    lines += [t("plan.moved", order=m["order"], before=clock.local(m.get("end_before")),
                after=clock.local(m.get("end_after"))) for m in moved]
    for center in result.bottlenecks:
        lines.append(f"{center}: {result.bottleneck_load_before.get(center, 0):.0%} → "
                     f"{result.bottleneck_load_after.get(center, 0):.0%}")
    return "\n".join(lines)


class GanttBox(VerticalScroll, can_focus=False):
    """The chart's scroll area; it never takes the focus, so up/down pick orders."""


class PlanScreen(ConsoleScreen):
    BINDINGS = [
        Binding("left,h", "scroll_time(-1)", "key.earlier"),
        Binding("right,l", "scroll_time(1)", "key.later"),
        Binding("z", "zoom", "key.zoom"),
        Binding("b", "by", "key.by"),
        Binding("up,k", "pick(-1)", show=False),
        Binding("down,j", "pick(1)", show=False),
        Binding("enter,e", "explain", "key.explain"),
        Binding("r", "rush", "key.rush"),
    ]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.app.t)
        self.by = "resource"
        self.zoom = "day"
        self.start: datetime | None = None
        self.rows: list = []
        self.window: tuple[datetime, datetime] | None = None
        self.picked = 0
        self.rush_key: str | None = None
        self.rush_result = None

    def compose(self) -> ComposeResult:
        yield NavBar("plan")
        yield Label("", id="plan-title", classes="section")
        yield Static("", id="gantt-axis")
        with GanttBox(id="gantt-box"):
            yield Static("", id="gantt")
        yield Static("", id="gantt-legend")
        yield KeyBar()


    def commands(self):
        yield SystemCommand(self.app.t("key.rush"), self.app.t("cmd.rush"), self.action_rush)
        yield SystemCommand(self.app.t("key.by"), self.app.t("key.by"), self.action_by)
        yield SystemCommand(self.app.t("key.zoom"), self.app.t("key.zoom"), self.action_zoom)

    def refresh_data(self) -> None:
        load(self, "rows", gantt_rows, self.by)

    def on_loaded(self, message: Loaded) -> None:
        if message.purpose == "rows":
            self.rows, start, end = message.result
            self.window = (start, end)
            if self.start is None:
                self.start = start
            self.picked = min(self.picked, max(0, len(self.rows) - 1))
            self.draw()
        elif message.purpose == "explain":
            self.app.push_screen(ShowText(self.app.t("plan.explain", number=message.result.order.number),
                                          explain_text(message.result)))
        elif message.purpose == "rush-preview":
            self.rush_result = message.result
            t = self.app.t
            self.app.push_screen(Confirm(t("plan.rush_title", key=self.rush_key), rush_text(message.result, t),
                                         t("dialog.accept"), t("plan.rush_reason"), t("plan.default_reason")),
                                 self._accept_rush)
        elif message.purpose == "rush-accept":
            self.app.notify(self.app.t("plan.accepted", run=message.result.accepted_run))
            self.refresh_data()

    def on_failed(self, message) -> None:
        if message.purpose == "rows":
            self.rows, self.window = [], None
            self.query_one("#gantt", Static).update(self.app.t("plan.none"))
            self.query_one("#gantt-axis", Static).update("")
            self.query_one("#gantt-legend", Static).update("")

    def on_resize(self, event) -> None:
        self.draw()

    def draw(self) -> None:
        if not self.window or self.start is None:
            return
        t = self.app.t
        span = ZOOMS[self.zoom] if self.zoom == "hour" else max(ZOOMS["day"], self.window[1] - self.window[0])
        if self.zoom == "day":
            span = min(span, timedelta(days=28))
        end = self.start + span
        width = max(30, self.query_one("#gantt-box").size.width - 1)
        words = gantt_words(t)
        lines = render_gantt(self.rows, self.start, end, width=width, today=clock.now(), zone=clock.zone(),
                             words=words)
        axis, rows, legend = split_chart(lines, words)
        picked = picked_line(rows, self.picked_order())
        self.query_one("#gantt-axis", Static).update(gantt_text(axis))
        self.query_one("#gantt", Static).update(gantt_text(rows, picked))
        self.query_one("#gantt-legend", Static).update(gantt_text(legend))
        if picked is not None:
            box = self.query_one("#gantt-box", VerticalScroll)
            if not box.scroll_y <= picked < box.scroll_y + box.size.height - 1:
                box.scroll_to(y=max(0, picked - 3), animate=False)
        zone = clock.zone()
        picked = f"  ▶ {self.picked_order()}" if self.picked_order() else ""
        self.query_one("#plan-title", Label).update(
            t("plan.title", by=t(f"plan.by.{self.by}"), start=f"{self.start.astimezone(zone):%m-%d %H:%M}",
              end=f"{end.astimezone(zone):%m-%d %H:%M}") + picked)

    def _span(self) -> timedelta:
        return ZOOMS["hour"] if self.zoom == "hour" else timedelta(days=7)

    def action_scroll_time(self, direction: int) -> None:
        if self.start is not None:
            self.start += direction * self._span() / 4
            self.draw()

    def action_zoom(self) -> None:
        """Day ↔ hour around the middle of what is on screen."""
        middle = self.start + self._span() / 2 if self.start is not None else None
        self.zoom = "hour" if self.zoom == "day" else "day"
        if middle is not None:
            self.start = (middle - self._span() / 2).replace(minute=0, second=0, microsecond=0)
        self.draw()

    def action_by(self) -> None:
        self.by = "order" if self.by == "resource" else "resource"
        self.picked = 0
        self.refresh_data()

    def action_pick(self, step: int) -> None:
        if self.by == "order" and self.rows:
            self.picked = (self.picked + step) % len(self.rows)
            self.draw()
        else:
            self.query_one("#gantt-box", VerticalScroll).scroll_relative(y=step, animate=False)

    def picked_order(self) -> str | None:
        return self.rows[self.picked].label.split()[0] if self.by == "order" and self.rows else None

    def action_explain(self) -> None:
        number = self.picked_order()
        if number is None:
            self.app.notify(self.app.t("plan.select_order"), severity="warning")
            return
        load(self, "explain", explain, number)

    def action_rush(self) -> None:
        self.app.push_screen(AskText(self.app.t("plan.rush_prompt"), self.picked_order() or ""), self._rush_preview)

    def _rush_preview(self, key: str | None) -> None:
        if not key:
            return
        self.rush_key = key
        load(self, "rush-preview", rush, key)

    def _accept_rush(self, reason: str | None) -> None:
        if reason is None:
            self.app.notify(self.app.t("plan.rush_cancelled"))
            return
        load(self, "rush-accept", rush, self.rush_key, accept=True, reason=reason,
             actor=getpass.getuser() or "console")
