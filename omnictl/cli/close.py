"""`omnictl close run|show` and `omnictl exceptions list|show|assign|act|resolve`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.main import app, existing_db
from omnictl.cli.options import ACTOR, JSON
from omnictl.errors import UsageError

close_app = typer.Typer(no_args_is_help=True, help="The daily close (日清日结): plan versus what happened, by day.")
app.add_typer(close_app, name="close")
exceptions_app = typer.Typer(no_args_is_help=True,
                             help="The exception register: standard, deadline and owner of every deviation.")
app.add_typer(exceptions_app, name="exceptions")

STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def _show_report(report) -> None:
    from rich.markup import escape

    R.show(R.table(f"Daily close {report.date}", ["check", "status", "owner", "findings", "first"],
                   [[c.name, c.status, c.owner, len(c.exceptions), (c.details[0] if c.details else "")]
                    for c in report.checks], justify_right={"findings"}, wrap={"first"}))
    _show_exceptions([e for e in report.exceptions if e.is_open], "Open exceptions")
    R.out.print(f"close of {report.date}: [{STATUS_STYLE[report.status]}]{report.status}[/]; "
                f"{report.opened} exception(s) opened, {report.escalated} escalated, {report.cleared} cleared"
                + (f" ({escape(report.company)})" if report.company else ""), highlight=False)


def _show_exceptions(items, title: str | None = None) -> None:
    if not items:
        return
    R.show(R.table(title, ["id", "check", "status", "owner", "deadline", "level", "finding"],
                   [[e.id, e.check + (" (forced)" if e.forced else ""), e.status, e.owner, e.deadline,
                     f"{e.level} {e.level_role}", e.finding] for e in items],
                   justify_right={"id"}, wrap={"finding"}))


@close_app.command("run")
def close_run(date: Optional[str] = typer.Option(None, "--date", metavar="YYYY-MM-DD",
                                                 help="The day to close (default yesterday, company timezone)."),
              as_json: bool = JSON,
              markdown: Optional[Path] = typer.Option(None, "--markdown", metavar="FILE",
                                                      help="Also write the report as Markdown to FILE."),
              fail_on: str = typer.Option("fail", "--fail-on", metavar="warn|fail",
                                          help="Exit 1 when a check fails (default) or already when one warns."),
              notify: Optional[list[str]] = typer.Option(None, "--notify", metavar="URL",
                                                         help="Post the summary to this webhook (repeatable; "
                                                              "generic JSON, Slack, WeCom, DingTalk)."),
              lang: str = typer.Option("en", "--lang", metavar="en|zh",
                                       help="Language of the Markdown report and the webhook message."),
              actor: Optional[str] = ACTOR):
    """Run the close checks for a day, record exceptions, store the result; exit 1 when something fails."""
    from omnictl.close import close_and_notify, close_exit_code
    from omnictl.importer import actor_name
    from omnictl.report import LANGS, close_markdown

    if fail_on not in ("warn", "fail"):
        raise UsageError(f"--fail-on '{fail_on}' is not one of warn, fail")
    if lang not in LANGS:
        raise UsageError(f"--lang '{lang}' is not one of {', '.join(LANGS)}")
    if markdown is not None and not markdown.parent.is_dir():
        raise UsageError(f"--markdown {markdown}: folder {markdown.parent} does not exist")
    with R.progress_bar("closing") as progress:
        report, deliveries = close_and_notify(existing_db(), date, actor=actor_name(actor), urls=notify or [],
                                              lang=lang, progress=progress)
    for delivery in deliveries:
        R.note(f"posted the close to {delivery.url}" if delivery.ok else
               f"{delivery.error}; the close itself is stored")
    if markdown is not None:
        try:
            markdown.write_text(close_markdown(report, lang), encoding="utf-8")
        except OSError as err:
            raise UsageError(f"--markdown {markdown}: cannot be written ({err.strerror})") from None
    if as_json:
        R.dump_json(report)
    else:
        _show_report(report)
    raise typer.Exit(close_exit_code(report, fail_on))


@close_app.command("show")
def close_show(date: Optional[str] = typer.Argument(None, metavar="[DATE]",
                                                    help="The closed day (default the latest)."),
               as_json: bool = JSON):
    """Show a stored close: its checks and the exceptions as they were then."""
    from omnictl.close import show_close

    report = show_close(existing_db(), date)
    if as_json:
        R.dump_json(report)
    else:
        _show_report(report)


@exceptions_app.command("list")
def exceptions_list(owner: Optional[str] = typer.Option(None, "--owner", metavar="NAME",
                                                        help="Only this owner's (role or person)."),
                    open_only: bool = typer.Option(False, "--open", help="Only open ones (open or acted)."),
                    as_json: bool = JSON):
    """List exceptions with their standard, deadline, escalation level and owner."""
    from omnictl.exceptions import list_exceptions

    items = list_exceptions(existing_db(), owner=owner, open_only=open_only)
    if as_json:
        R.stream_json(items)
        return
    items = list(items)
    if not items:
        R.note("no exceptions" + (" open" if open_only else "") + (f" owned by {owner}" if owner else ""))
    _show_exceptions(items)


def _show_one(e) -> None:
    rows = [("subject", e.subject), ("check", e.check + (" (T-3: forced closed loop)" if e.forced else "")),
            ("status", e.status), ("standard", e.standard), ("constraint", e.constraint), ("owner", e.owner),
            ("finding", e.finding), ("action", e.action), ("new date", e.new_date), ("note", e.note),
            ("opened", e.opened_on), ("last seen", e.last_seen_on), ("resolved", e.resolved_at)]
    R.show(R.table(f"Exception {e.id}", ["", ""], [r for r in rows if r[1]], wrap={""}))
    if e.events:
        R.show(R.table("Events", ["at", "actor", "kind", "change", "note"],
                       [[ev.at, ev.actor, ev.kind,
                         "; ".join(f"{k}: {(ev.before or {}).get(k)} → {v}" for k, v in (ev.after or {}).items()),
                         ev.note] for ev in e.events], wrap={"change", "note"}))


@exceptions_app.command("show")
def exceptions_show(exception_id: str = typer.Argument(..., metavar="ID", help="The exception's id."),
                    as_json: bool = JSON):
    """Show one exception with every change (actor, time, before and after)."""
    from omnictl.exceptions import get_exception

    item = get_exception(existing_db(), exception_id)
    if as_json:
        R.dump_json(item)
    else:
        _show_one(item)


def _changed(item, as_json: bool) -> None:
    if as_json:
        R.dump_json(item)
    else:
        R.out.print(f"exception {item.id} ({item.subject}): {item.status}, owner {item.owner}"
                    + (f", action {item.action}" if item.action else "")
                    + (f", new date {item.new_date}" if item.new_date else ""), markup=False, highlight=False)


@exceptions_app.command("assign")
def exceptions_assign(exception_id: str = typer.Argument(..., metavar="ID", help="The exception's id."),
                      owner: str = typer.Argument(..., metavar="OWNER", help="A role or a person."),
                      actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Give an exception a new owner."""
    from omnictl.exceptions import assign
    from omnictl.importer import actor_name

    _changed(assign(existing_db(), exception_id, owner, actor=actor_name(actor)), as_json)


@exceptions_app.command("act")
def exceptions_act(exception_id: str = typer.Argument(..., metavar="ID", help="The exception's id."),
                   action: str = typer.Argument(..., metavar="ACTION",
                                                help="By the exception's check: production and t3: expedite, "
                                                     "split, overtime, outsource, renegotiate, accept-late; "
                                                     "channels: re-import, map-sku, fix-at-source, accept; "
                                                     "consumption: correct-issue, update-bom, investigate, "
                                                     "accept; stock: recount, adjust, investigate, accept."),
                   new_date: Optional[str] = typer.Option(None, "--new-date", metavar="YYYY-MM-DD",
                                                          help="The renegotiated date (renegotiate only)."),
                   note: Optional[str] = typer.Option(None, "--note", metavar="TEXT",
                                                      help="What was done, or the reason for a new date."),
                   actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Record the action taken on an exception; renegotiate needs --new-date and --note."""
    from omnictl.exceptions import act
    from omnictl.importer import actor_name

    _changed(act(existing_db(), exception_id, action, new_date=new_date, note=note, actor=actor_name(actor)),
             as_json)


@exceptions_app.command("resolve")
def exceptions_resolve(exception_id: str = typer.Argument(..., metavar="ID", help="The exception's id."),
                       note: str = typer.Option(..., "--note", metavar="TEXT", help="How it was resolved."),
                       actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Close an exception with a note (a T-3 exception needs a recorded action first)."""
    from omnictl.exceptions import resolve
    from omnictl.importer import actor_name

    _changed(resolve(existing_db(), exception_id, note=note, actor=actor_name(actor)), as_json)
