"""`omnictl db`: info, check, backup, vacuum. Each command calls one function of omnictl.dbtools."""

from __future__ import annotations

from pathlib import Path

import typer

from omnictl.cli import render as R
from omnictl.cli.options import JSON
from omnictl.cli.main import app, existing_db

BACKUP_PATH = typer.Argument(..., metavar="PATH", help="The file to write the copy to.")

db_app = typer.Typer(no_args_is_help=True, help="Database tools: info, check, backup, vacuum.")
app.add_typer(db_app, name="db")


@db_app.command("info")
def db_info(as_json: bool = JSON):
    """Size, schema version, rows per table, the last import batches and company settings."""
    from omnictl.dbtools import database_info

    info = database_info(existing_db())
    R.dump_json(info) if as_json else R.show_db_info(info)


@db_app.command("check")
def db_check(quick: bool = typer.Option(False, "--quick", help="SQLite's quick_check instead of the full "
                                        "integrity_check (skips index contents)."),
             as_json: bool = JSON):
    """Integrity, foreign keys, the search index and omnictl's own invariants; exit 1 if any check fails."""
    from omnictl.dbtools import check_database

    report = check_database(existing_db(), quick=quick)
    R.dump_json(report) if as_json else R.show_check_report(report)
    if not report.ok:
        raise typer.Exit(1)


@db_app.command("backup")
def db_backup(path: Path = BACKUP_PATH,
              force: bool = typer.Option(False, "--force", help="Replace PATH if it exists."),
              as_json: bool = JSON):
    """A consistent copy of the database (SQLite online backup) while others keep writing."""
    from omnictl.dbtools import backup_database

    result = backup_database(existing_db(), path, overwrite=force)
    R.dump_json(result) if as_json else R.show_backup(result)
    if not result.integrity_ok:
        raise typer.Exit(1)


@db_app.command("vacuum")
def db_vacuum(as_json: bool = JSON):
    """Compact the database file (needs the write lock; waits for other writers)."""
    from omnictl.dbtools import vacuum_database

    result = vacuum_database(existing_db())
    R.dump_json(result) if as_json else R.show_vacuum(result)
