"""`omnictl stock import-opening`, `omnictl reconcile count` and `omnictl reconcile snapshot`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.main import db
from omnictl.cli.options import ACTOR, JSON
from omnictl.cli.stock import reconcile_app, stock_app

FILE = typer.Argument(..., metavar="FILE", help="A count or snapshot: sku,location,qty CSV, Shopify or Amazon "
                      "inventory export (CSV, TSV, XLSX).")
AT = typer.Option(None, "--at", metavar="TIME", help="When it was counted: a date (end of that day) or a date "
                  "and time, company timezone; default now.")
TOLERANCE = typer.Option(None, "--tolerance", metavar="N|P%", help="Allowed difference: N units or P% of the "
                         "book (default 0); any line above it exits 1.")
APPLY = typer.Option(False, "--apply", help="Post count corrections so the book equals the file at the count "
                     "time (once per file and location; needs --reason).")
REASON = typer.Option(None, "--reason", metavar="TEXT", help="Why the book is corrected; kept with every move.")
SCOPE = typer.Option("partial", "--scope", metavar="full|partial", help="full: SKUs with stock that the file "
                     "does not list count as 0; partial (default): they are listed and left alone.")


@stock_app.command("import-opening")
def stock_import_opening(
    file: Path = FILE,
    location: Optional[str] = typer.Option(None, "--location", metavar="CODE",
                                           help="Where the quantities are, when the file names no location "
                                                "(or selects one of several)."),
    at: Optional[str] = typer.Option(None, "--at", metavar="TIME", help="Effective time of the opening balances: "
                                     "a date (end of that day) or a date and time; default now."),
    actor: Optional[str] = ACTOR,
    as_json: bool = JSON,
):
    """Set on hand at --at to a snapshot file with 'opening' moves (unknown SKUs are rejects)."""
    from omnictl.importer import actor_name
    from omnictl.reconcile import import_opening

    result = import_opening(db(), file, location=location, at=at, actor=actor_name(actor))
    R.dump_json(result) if as_json else R.show_opening(result)


def _run(kind: str, file: Path, location: Optional[str], at, scope, tolerance, apply, reason, actor, as_json):
    from omnictl.importer import actor_name
    from omnictl.reconcile import reconcile_file

    report = reconcile_file(db(), file, kind=kind, location=location, at=at, scope=scope, tolerance=tolerance,
                            apply=apply, reason=reason, actor=actor_name(actor))
    R.dump_json(report) if as_json else R.show_reconcile(report)
    R.note_reconcile(report)
    if report.over_tolerance:
        raise typer.Exit(1)


@reconcile_app.command("count")
def reconcile_count(
    file: Path = FILE,
    location: str = typer.Option(..., "--location", metavar="CODE", help="The location that was counted."),
    at: Optional[str] = AT,
    scope: str = SCOPE,
    tolerance: Optional[str] = TOLERANCE,
    apply: bool = APPLY,
    reason: Optional[str] = REASON,
    actor: Optional[str] = ACTOR,
    as_json: bool = JSON,
):
    """Compare a physical count with the book at the count time; exit 1 if a difference is over tolerance."""
    _run("count", file, location, at, scope, tolerance, apply, reason, actor, as_json)


@reconcile_app.command("snapshot")
def reconcile_snapshot(
    file: Path = FILE,
    location: Optional[str] = typer.Option(None, "--location", metavar="CODE",
                                           help="Where the quantities are, when the file names no location "
                                                "(or selects one of several)."),
    at: Optional[str] = AT,
    scope: str = SCOPE,
    tolerance: Optional[str] = TOLERANCE,
    apply: bool = APPLY,
    reason: Optional[str] = REASON,
    actor: Optional[str] = ACTOR,
    as_json: bool = JSON,
):
    """Compare another system's on-hand (one or many locations) with the book; exit 1 if over tolerance."""
    _run("snapshot", file, location, at, scope, tolerance, apply, reason, actor, as_json)
