"""`omnictl tui`: the full-screen console over the same database (Textual, loaded only here)."""

from __future__ import annotations

from typing import Optional

import typer

from omnictl import clock
from omnictl.cli.main import app, existing_db
from omnictl.errors import UsageError

LANGS = ("en", "zh")
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000      # this computer only


@app.command("tui")
def tui(lang: Optional[str] = typer.Option(None, "--lang", metavar="en|zh",
                                           help="Labels in English or Simplified Chinese (else from LANG/LC_ALL)."),
        serve: bool = typer.Option(False, "--serve", help="Serve the console to web browsers instead (needs "
                                   "textual-serve: pip install 'omnictl[serve]'). There is no login: share it "
                                   "only on a trusted network."),
        host: str = typer.Option(DEFAULT_HOST, "--host", help="With --serve: the address to listen on; "
                                 "127.0.0.1 is this computer only, 0.0.0.0 the local network too."),
        port: int = typer.Option(DEFAULT_PORT, "--port", min=1, max=65535, help="With --serve: the port to listen on.")):
    """Open the full-screen console (keys 1-7 switch screens, ? lists the keys); --serve puts it in web browsers."""
    if lang is not None and lang not in LANGS:
        raise UsageError(f"--lang '{lang}' is not one of {', '.join(LANGS)}")
    if not serve and (host, port) != (DEFAULT_HOST, DEFAULT_PORT):
        raise UsageError("--host and --port are for --serve (the console in a browser); add --serve")
    db = existing_db()
    if serve:
        from tui.serve import serve_console

        serve_console(db.path, host=host, port=port, lang=lang, today=clock.pinned(), say=typer.echo)
        return
    from tui.run import run_console

    run_console(db, lang)
