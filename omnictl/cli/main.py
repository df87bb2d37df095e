"""`omnictl`: the command line. Each command parses, calls one domain function, renders.

Domain errors become one `Error: ...` line on stderr here, with the exit code of their
class (0 ok, 1 problems found, 2 unusable input or usage); never a traceback.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import Optional

import typer

from omnictl import clock
from omnictl.cli import render as R
from omnictl.db import Database, open_db, resolve_path
from omnictl.errors import DatabaseError, OmnictlError

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  help="omnictl: every channel's orders in one SQLite file, from the terminal or cron.")


class State:
    db_path: Path | None = None
    _db: Database | None = None

    def db(self, existing: bool = False, or_empty: bool = False) -> Database:
        if self._db is None:
            path = resolve_path(self.db_path)
            if existing and not path.exists():
                if not or_empty:
                    raise DatabaseError(f"no database at {path}; check --db or $OMNICTL_DB, or create it by "
                                        "importing (omnictl import FILE)")
                path = Path(":memory:")
            self._db = open_db(path)
        return self._db


state = State()


def db() -> Database:
    """The database to write to, created (and migrated) if it does not exist yet."""
    return state.db()


def existing_db() -> Database:
    """The database to read: a mistyped --db is an error, not a new empty file."""
    return state.db(existing=True)


def reference_db() -> Database:
    """For commands that also make sense without data (channels, profiles): empty in memory."""
    return state.db(existing=True, or_empty=True)


def _print_version(value: bool) -> None:
    if value:
        from omnictl import __version__

        print(f"omnictl {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    db_path: Optional[Path] = typer.Option(None, "--db", help="Database file (else $OMNICTL_DB, else ./omnictl.db)."),
    today: Optional[str] = typer.Option(None, "--today", help="Pin the clock: YYYY-MM-DD or YYYY-MM-DDTHH:MM "
                                        "in company time (else $OMNICTL_TODAY)."),
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
):
    """omnictl: every channel's orders in one SQLite file, from the terminal or cron."""
    state.db_path = db_path
    state._db = None
    if today:
        clock.pin(today)


def _register() -> None:
    from omnictl.cli import commands  # noqa: F401  (registers the command groups)
    from omnictl.cli import dbcmd  # noqa: F401  (db info, check, backup, vacuum)
    from omnictl.cli import admin  # noqa: F401  (config, fx)
    from omnictl.cli import stock  # noqa: F401  (stock, reconcile)
    from omnictl.cli import feeds  # noqa: F401  (stock export-channel, reconcile channel)
    from omnictl.cli import purchases  # noqa: F401  (purchases; stock receive, transfer, adjust)
    from omnictl.cli import counts  # noqa: F401  (stock import-opening, reconcile count and snapshot)
    from omnictl.cli import plan  # noqa: F401  (plan orders, materials, list, explain, release; replenish)
    from omnictl.cli import schedule  # noqa: F401  (plan run, rush, bottlenecks, gantt)
    from omnictl.cli import forecast  # noqa: F401  (forecast run, show, accuracy, import-sales)
    from omnictl.cli import shopfloor  # noqa: F401  (shopfloor import)
    from omnictl.cli import kpi  # noqa: F401  (kpi, kpi turnover)
    from omnictl.cli import close  # noqa: F401  (close run, show; exceptions)
    from omnictl.cli import audit  # noqa: F401  (audit, audit verify, privacy redact)
    from omnictl.cli import tui  # noqa: F401  (tui)


def _click_exceptions() -> tuple[tuple, tuple, tuple]:
    """(exits, usage errors, aborts) from click and from the copy of click that typer vendors."""
    import click.exceptions

    exits = (click.exceptions.Exit, typer.Exit)
    usage = [click.exceptions.ClickException]
    aborts = (click.exceptions.Abort, typer.Abort)
    try:
        from typer._click import exceptions as vendored

        usage.append(vendored.ClickException)
    except ImportError:
        pass
    return exits, tuple(usage), aborts


def run() -> None:
    """Console-script entry point: maps every failure to one sentence and an exit code."""
    _register()
    exits, usage, aborts = _click_exceptions()
    code = 0
    try:
        returned = app(standalone_mode=False)   # click returns the code of a `typer.Exit(n)` here
        code = returned if isinstance(returned, int) else 0
    except OmnictlError as err:
        R.note(f"Error: {err}")
        code = err.exit_code
    except exits as exc:
        code = exc.exit_code
    except usage as exc:
        exc.show()
        code = 0 if type(exc).__name__ == "NoArgsIsHelpError" else exc.exit_code
    except (KeyboardInterrupt, *aborts):
        R.note("Interrupted; the unfinished step was rolled back and nothing of it was written.")
        code = 130
    except sqlite3.Error as err:
        R.note(f"Error: {DatabaseError(f'database error: {err}')}")
        code = 2
    except BrokenPipeError:
        code = 0
    except Exception as err:  # the last guard: a user never sees a traceback
        if os.environ.get("OMNICTL_DEBUG"):
            raise
        R.note(f"Error: internal error ({type(err).__name__}: {err}); "
               "run again with OMNICTL_DEBUG=1 for details and report it")
        code = 2
    finally:
        if state._db is not None:
            state._db.close()
    sys.exit(code)
