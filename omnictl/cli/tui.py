"""`omnictl tui`: the full-screen console over the same database (Textual, loaded only here)."""

from __future__ import annotations

from typing import Optional

import typer

from omnictl.cli.main import app, existing_db
from omnictl.errors import UsageError

LANGS = ("en", "zh")


@app.command("tui")
def tui(lang: Optional[str] = typer.Option(None, "--lang", metavar="en|zh",
                                           help="Labels in English or Simplified Chinese (else from LANG/LC_ALL).")):
    """Open the full-screen console: orders, stock and counts, the plan (keys 2-4; ? for keys)."""
    if lang is not None and lang not in LANGS:
        raise UsageError(f"--lang '{lang}' is not one of {', '.join(LANGS)}")
    from tui.run import run_console

    run_console(existing_db(), lang)
