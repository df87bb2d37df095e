"""What every screen shares: the line of screen keys at the top, and reading its data when shown."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Static

from tui.app_keys import SCREEN_ORDER


def nav_bar(app, current: str) -> Static:
    parts = []
    for key, mode in SCREEN_ORDER:
        name = app.t(f"screen.{mode}")
        parts.append(f"[reverse] {key} {name} [/reverse]" if mode == current else f" [b]{key}[/b] {name} ")
    return Static(" ".join(parts) + "   [dim]? " + app.t("key.help") + "  ctrl+p …[/dim]", id="nav",
                  classes="nav")


def localize_bindings(node, t) -> None:
    """Bindings are declared with catalogue keys as descriptions (key.*); show them translated."""
    from dataclasses import replace

    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [replace(b, description=t(b.description)) if b.description.startswith("key.") else b
                      for b in bindings]


class ConsoleScreen(Screen):
    """A numbered screen. It reads its data each time it is shown: on its first visit (it may
    have been built in the background), and on coming back from another screen or a dialog, as
    the app's own writes do not move SQLite's data version. Tables keep their cursor, filter
    and rows on screen while the new rows are read."""

    _read_queued = False

    def refresh_data(self) -> None:
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        # A first visit brings two resumes (the mode's start and the switch): read once.
        if not self._read_queued:
            self._read_queued = True
            self.call_later(self._read_if_shown)

    def _read_if_shown(self) -> None:
        self._read_queued = False
        if self.is_current and not self.app.counting:
            self.refresh_data()
