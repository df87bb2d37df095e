"""Start the console (what `omnictl tui` calls)."""

from __future__ import annotations

from omnictl.db import Database


def run_console(db: Database, lang: str | None = None) -> None:
    from tui.app import OmniApp

    OmniApp(db, lang).run()
