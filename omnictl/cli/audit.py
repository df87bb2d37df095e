"""`omnictl audit [verify]` and `omnictl privacy redact`: who changed what, and forgetting buyers."""

from __future__ import annotations

import json
from typing import Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.main import app, existing_db
from omnictl.cli.options import ACTOR, JSON

audit_app = typer.Typer(help="The audit log of changes made by hand (append-only, hash-chained).")
app.add_typer(audit_app, name="audit")
privacy_app = typer.Typer(no_args_is_help=True, help="Personal data: remove it for old orders.")
app.add_typer(privacy_app, name="privacy")


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:59] + "…"


def _change(entry) -> str:
    """`on_hand 12.0 → 10.0; quantity -2; reason broken`: what the entry changed, key by key."""
    if entry.redacted:
        return "[redacted]"
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    parts = []
    for key in sorted(set(before) | set(after)):
        if key in before and key in after:
            if before[key] != after[key]:
                parts.append(f"{key} {_short(before[key])} → {_short(after[key])}")
        elif key in after:
            parts.append(f"{key} {_short(after[key])}")
        else:
            parts.append(f"{key} was {_short(before[key])}")
    return "; ".join(parts)


@audit_app.callback(invoke_without_command=True)
def audit_list(ctx: typer.Context,
               since: Optional[str] = typer.Option(None, "--since", metavar="DATE",
                                                   help="From this date (company time) or YYYY-MM-DDTHH:MM on."),
               actor: Optional[str] = typer.Option(None, "--actor", metavar="NAME", help="Only this person."),
               action: Optional[str] = typer.Option(None, "--action", metavar="NAME",
                                                    help="Only this action or family, e.g. stock or stock.adjust."),
               as_json: bool = JSON):
    """List the audit log: adjustments, count applies, mappings, plan accepts, undos, settings, redactions."""
    if ctx.invoked_subcommand is not None:
        return
    from omnictl.audit import entries

    found = entries(existing_db(), since=since, actor=actor, action=action)
    if as_json:
        R.stream_json(found)
        return
    rows = [[e.id, e.at[:16].replace("T", " "), e.actor, e.action, e.subject, _change(e)] for e in found]
    if not rows:
        R.note("no audit entries match")
        return
    R.show(R.table(None, ["id", "at (UTC)", "actor", "action", "subject", "change"], rows))


@audit_app.command("verify")
def audit_verify(as_json: bool = JSON):
    """Recompute the hash chain; exit 1 and name the first entry that was changed, removed or inserted."""
    from omnictl.audit import verify

    report = verify(existing_db())
    if as_json:
        R.dump_json(report)
    elif report.ok:
        R.out.print(f"audit log intact: {report.entries} entries verified", markup=False, highlight=False)
    else:
        for problem in report.problems:
            R.note(problem)
        R.note(f"audit log broken from entry {report.first_broken} ({len(report.problems)} problem(s))")
    if not report.ok:
        raise typer.Exit(1)


@privacy_app.command("redact")
def privacy_redact(before: str = typer.Option(..., "--before", metavar="DATE",
                                              help="Orders placed before this date lose their buyer's data."),
                   dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be removed, write nothing."),
                   actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Remove names, phones, emails and addresses of buyers whose orders all predate DATE, and rejected rows' raw text."""
    from omnictl.importer import actor_name
    from omnictl.privacy import redact

    result = redact(existing_db(), before, actor=actor_name(actor), dry_run=dry_run)
    if as_json:
        R.dump_json(result)
        return
    verb = "would remove" if dry_run else "removed"
    R.out.print(f"orders before {result.before}: {verb} the personal data of {result.parties} buyer(s) and the raw "
                f"text of {result.rejects} rejected row(s)", markup=False, highlight=False)
