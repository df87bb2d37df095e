"""Start the console (what `omnictl tui` calls)."""

from __future__ import annotations

from omnictl.db import Database


def run_console(db: Database, lang: str | None = None) -> None:
    from tui.app import OmniApp

    app = OmniApp(db, lang)
    app.run()
    if app.failure is not None:
        raise app.failure              # `omnictl`'s last guard turns it into one sentence
