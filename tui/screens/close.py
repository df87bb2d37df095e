"""Close (key 5): pick a day (default yesterday), run the daily close in a worker with its
progress, see each check; below, the exception register, where an owner is assigned (`o`),
an action from its check's list recorded (`a`; renegotiate takes a new date and a reason) and
an exception resolved with a note (`r`; a T-3 exception needs an action first). Each change
goes through a dialog that shows the exception and writes only on its accept button, recorded
with the OS user as the actor.

The day field (`d`) gives the keyboard back on Esc (the last valid day restored, the focus on
the exceptions), so the screen keys 1-7 never type into it once it is left."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label, ProgressBar, Static

from omnictl import clock
from omnictl.close import CHECKS, parse_day, run_close, show_close
from omnictl.errors import UsageError
from omnictl.exceptions import act, actions_for, assign, get_exception, list_exceptions, resolve
from omnictl.importer import actor_name
from tui.screens.common import ConsoleScreen, NavBar, localize_bindings
from tui.screens.dialogs import Field, FormDialog, ShowText
from tui.widgets.keybar import KeyBar
from tui.widgets.vtable import Column, VirtualTable, rows_source
from tui.work import Failed, Loaded, load

CHECK_COLUMNS = (Column("check", 11, vocabulary="check"), Column("status", 6, vocabulary=True), Column("owner", 12, grow=14),
                 Column("findings", 4, right=True), Column("details", 20, grow=80))
EXCEPTION_COLUMNS = (Column("id", 3, right=True), Column("check", 11), Column("status", 7, vocabulary="exception.status"),
                     Column("owner", 12, grow=14), Column("deadline", 10), Column("action", 9, vocabulary=True),
                     Column("finding", 16, grow=80))


ACCEPT = {"assign": "key.assign", "act": "dialog.record", "resolve": "key.resolve"}
DONE = {"assign": "exception.assigned", "act": "exception.acted", "resolve": "exception.resolved"}


def check_details(check, t) -> list[str]:
    """A check's detail lines in the chosen language."""
    return check.details_in(t.lang)


def _checks(report, t) -> list[tuple]:
    return [(c.name, c.status, c.owner, len(c.exceptions), next(iter(check_details(c, t)), ""))
            for c in report.checks]


def _exceptions(db, open_only: bool) -> list[tuple]:
    return [(e.id, e.check, e.forced, e.status, e.owner, e.deadline, e.action or "", e.finding, e.finding_msg)
            for e in list_exceptions(db, open_only=open_only)]


def _exception_rows(rows: list[tuple], t) -> list[tuple]:
    """The check's name translated, ⚑ on a T-3 exception (its loop is closed by a person)."""
    return [(i, t.word(check, "check") + (" ⚑" if forced else ""), *rest, t.message(msg, finding))
            for i, check, forced, *rest, finding, msg in rows]


def exception_text(e, t) -> Text:
    """An exception as a person reads it: what was found, against which standard, who owns it
    by when; the subject only as a dim reference at the end."""
    heading = t("exception.check_line", check=t.word(e.check, "check"))
    if e.forced:
        heading += " · " + t("exception.forced")
    lines = [heading, f"{t('exception.finding')}: {t.message(e.finding_msg, e.finding)}",
             f"{t('exception.standard')}: {t.message(e.standard_msg, e.standard)}",
             " · ".join([f"{t('exception.owner')}: {e.owner}",
                         t("exception.constraint", deadline=e.deadline, level=e.level, role=e.level_role),
                         f"{t('col.status')}: {t.word(e.status, 'exception.status')}"])]
    if e.action:
        lines.append(f"{t('col.action')}: {t.word(e.action)}" + (f" → {e.new_date}" if e.new_date else ""))
    if e.note:
        lines.append(f"{t('exception.note')}: {e.note}")
    for ev in e.events or []:
        change = "; ".join(f"{k}: {(ev.before or {}).get(k)} → {v}" for k, v in (ev.after or {}).items())
        lines.append(f"{clock.local(ev.at, '%Y-%m-%d %H:%M')}  {ev.actor}  {ev.kind}  {change}"
                     + (f"  ({ev.note})" if ev.note else ""))
    text = Text("\n".join(lines))
    text.append(f"\n{t('exception.reference')} {e.subject}", style="dim")
    return text


class DayInput(Input):
    """The day to close. Esc leaves it: the last valid day back, the focus on the exceptions."""

    BINDINGS = [Binding("escape", "leave", "key.back")]

    def on_mount(self) -> None:
        localize_bindings(self, self.app.t)

    def action_leave(self) -> None:
        self.screen.leave_day()


class CloseProgress(Message):
    """The close finished `done` of its checks (posted from the worker thread)."""

    def __init__(self, done: int) -> None:
        super().__init__()
        self.done = done


class CloseScreen(ConsoleScreen):
    AUTO_FOCUS = "#exceptions"
    BINDINGS = [
        # Short labels: the key bar fits at 80 columns in English and Chinese. d and f are said
        # in the lines above the tables.
        Binding("c", "run_close", "key.run"),
        Binding("d", "pick_day", "key.day", show=False),
        Binding("o", "assign", "key.assign"),
        Binding("a", "act", "key.act_short"),
        Binding("r", "resolve", "key.resolve"),
        Binding("f", "toggle_open", "key.open_all", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.app.t)
        self.shown_day: str | None = None
        self.report = None
        self.open_only = True
        self.running = False
        self.pending: tuple[str, int] | None = None     # (what, exception id) a dialog is asking about
        self.valid_day = (clock.today() - timedelta(days=1)).isoformat()   # Esc in the day field restores it

    def compose(self) -> ComposeResult:
        t = self.app.t
        yield NavBar("close")
        yield Label(t("close.none"), id="close-title", classes="section")
        with Horizontal(classes="filters"):
            yield Label(t("close.day") + " ", classes="field-label")
            yield DayInput(self.valid_day, id="close-day", compact=True, max_length=10, restrict=r"[0-9-]*")
            yield ProgressBar(total=len(CHECKS), show_eta=False, id="close-progress")
            yield Label(t("close.hint"), id="close-hint")
        yield VirtualTable(id="checks")
        yield Label("", id="exceptions-title", classes="section")
        yield VirtualTable(id="exceptions")
        yield Static("", id="exception-detail", markup=False)
        yield KeyBar()

    def commands(self):
        t = self.app.t
        yield SystemCommand(t("key.run_close"), t("close.run_help"), self.action_run_close)
        yield SystemCommand(t("key.assign"), t("close.assign_help"), self.action_assign)
        yield SystemCommand(t("key.act"), t("close.act_help"), self.action_act)
        yield SystemCommand(t("key.resolve"), t("close.resolve_help"), self.action_resolve)

    def refresh_data(self) -> None:
        if not self.running:
            load(self, "report", show_close, self.shown_day)
        load(self, "exceptions", _exceptions, self.open_only)

    # -- results ---------------------------------------------------------------------------

    def on_loaded(self, message: Loaded) -> None:
        purpose, result = message.purpose, message.result
        t = self.app.t
        if purpose in ("report", "close"):
            self._show_report(result)
        if purpose == "close":
            self.running = False
            self.app.notify(t("close.done", date=result.date, status=t.word(result.status), opened=result.opened,
                              escalated=result.escalated, cleared=result.cleared),
                            severity="information" if result.status == "ok" else "warning")
            load(self, "exceptions", _exceptions, self.open_only)
        elif purpose == "exceptions":
            self.query_one("#exceptions", VirtualTable).show(
                rows_source("exceptions", EXCEPTION_COLUMNS, _exception_rows(result, t), key=(self.open_only,)))
            self.query_one("#exceptions-title", Label).update(
                t("close.exceptions_open" if self.open_only else "close.exceptions_all", count=len(result)))
        elif purpose == "show":
            self.app.push_screen(ShowText(t("exception.title", id=result.id), exception_text(result, t)))
        elif purpose in ("assign", "act", "resolve"):
            self.app.notify(t(DONE[purpose], id=result.id, status=t.word(result.status, "exception.status"),
                              owner=result.owner, action=t.word(result.action or "-")))
            load(self, "exceptions", _exceptions, self.open_only)
        elif purpose.startswith("dialog:"):
            self._ask(purpose[len("dialog:"):], result)

    def on_failed(self, message: Failed) -> None:
        if message.purpose == "report":
            message.stop()                   # no close stored yet: said in the title, not as an error
            self.query_one("#close-title", Label).update(self.app.t("close.none"))
            self.query_one("#checks", VirtualTable).show(rows_source("checks", CHECK_COLUMNS, []))
        elif message.purpose == "close":
            self.running = False
            self.query_one("#close-progress", ProgressBar).update(progress=0)

    def on_close_progress(self, message: CloseProgress) -> None:
        self.query_one("#close-progress", ProgressBar).update(progress=message.done)

    def _show_report(self, report) -> None:
        t = self.app.t
        self.shown_day, self.report = report.date, report
        ran = clock.local(report.ran_at, "%Y-%m-%d %H:%M")
        self.query_one("#close-title", Label).update(
            t("close.title", date=report.date, status=t.word(report.status).upper(), ran=ran, actor=report.actor))
        self.query_one("#checks", VirtualTable).show(
            rows_source(f"close-{report.date}", CHECK_COLUMNS, _checks(report, self.app.t), key=(report.date,)))

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        event.stop()
        if event.table.id == "exceptions":
            row = event.row
            text = "" if row is None else f"#{row[0]} {row[3]} · {row[6]}"
            self.query_one("#exception-detail", Static).update(text)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        if event.row is None:
            return
        if event.table.id == "exceptions":
            load(self, "show", get_exception, event.row[0])
        elif event.table.id == "checks" and self.report is not None:
            check = next(c for c in self.report.checks if c.name == event.row[0])
            t = self.app.t
            self.app.push_screen(ShowText(t("close.check_title", check=t.word(check.name, "check"), date=self.report.date),
                                          "\n".join(check_details(check, t)) or t("close.no_findings")))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "close-day":
            event.stop()
            self.action_run_close()

    # -- actions ---------------------------------------------------------------------------

    def action_pick_day(self) -> None:
        self.query_one("#close-day", Input).focus()

    def leave_day(self) -> None:
        self.query_one("#close-day", Input).value = self.valid_day
        self.query_one("#exceptions", VirtualTable).focus()

    def action_run_close(self) -> None:
        t = self.app.t
        if self.running:
            self.app.notify(t("close.running"), severity="warning")
            return
        field = self.query_one("#close-day", Input)
        day = field.value.strip()
        try:
            day = parse_day(day or None).isoformat()
        except UsageError as error:            # said before anything runs; the field keeps the value to fix
            self.app.notify(t("close.bad_day", value=day, reason=str(error).removeprefix("--date ")),
                            severity="error")
            return
        field.value = self.valid_day = day
        self.running = True
        bar = self.query_one("#close-progress", ProgressBar)
        bar.update(progress=0)
        bar.display = True
        screen = self

        def progress(done: int) -> None:
            screen.post_message(CloseProgress(done))

        load(self, "close", run_close, day, actor=actor_name(), progress=progress)
        self.query_one("#exceptions", VirtualTable).focus()

    def action_toggle_open(self) -> None:
        self.open_only = not self.open_only
        load(self, "exceptions", _exceptions, self.open_only)

    def _picked(self) -> int | None:
        row = self.query_one("#exceptions", VirtualTable).current_row
        if row is None:
            self.app.notify(self.app.t("close.pick_exception"), severity="warning")
            return None
        return row[0]

    def _start(self, what: str) -> None:
        exception_id = self._picked()
        if exception_id is not None:
            load(self, f"dialog:{what}", get_exception, exception_id)

    def action_assign(self) -> None:
        self._start("assign")

    def action_act(self) -> None:
        self._start("act")

    def action_resolve(self) -> None:
        self._start("resolve")

    def _ask(self, what: str, item) -> None:
        """The dialog for `what` on the exception as it is now (read just before asking)."""
        t = self.app.t
        if what == "resolve" and item.forced and not item.action:
            self.app.notify(t("exception.needs_action", id=item.id), severity="warning")
            return
        body = exception_text(item.model_copy(update={"events": None}), t)
        if what == "assign":
            fields = [Field("owner", t("exception.new_owner"), item.owner, required=True)]
        elif what == "act":
            actions = actions_for(item.check)
            fields = [Field("action", t("exception.action"), "", [(a, t.word(a)) for a in actions], required=True)]
            if "renegotiate" in actions:
                fields += [Field("new_date", t("exception.new_date"), placeholder="YYYY-MM-DD"),
                           Field("note", t("exception.note_or_reason"))]
            else:
                fields.append(Field("note", t("exception.note")))
        else:
            fields = [Field("note", t("exception.resolve_note"), required=True)]
        self.pending = (what, item.id)
        self.app.push_screen(FormDialog(t(f"exception.{what}_title", id=item.id), body, fields,
                                        t(ACCEPT[what])), self._write)

    def _write(self, answers: dict | None) -> None:
        if self.pending is None:
            return
        what, exception_id = self.pending
        self.pending = None
        if answers is None:
            self.app.notify(self.app.t("exception.cancelled", id=exception_id))
            return
        actor = actor_name()
        if what == "assign":
            load(self, "assign", assign, exception_id, answers["owner"] or "", actor=actor)
        elif what == "act":
            load(self, "act", act, exception_id, answers["action"] or "", new_date=answers.get("new_date") or None,
                 note=answers["note"] or None, actor=actor)
        else:
            load(self, "resolve", resolve, exception_id, note=answers["note"] or "", actor=actor)
