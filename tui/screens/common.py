"""What every screen shares: the line of screen keys at the top, and reading its data when shown."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget

from tui.app_keys import SCREEN_ORDER


class NavBar(Widget):
    """The screen keys, the current one reversed; the hint to the keys and the command palette
    at the right end when the line has room for it (the key bar below shows `?` anyway)."""

    def __init__(self, current: str) -> None:
        super().__init__(id="nav", classes="nav")
        self.current = current

    def render(self) -> Text:
        t = self.app.t
        text = Text(no_wrap=True, overflow="ellipsis")
        for key, mode in SCREEN_ORDER:
            name = t(f"screen.{mode}")
            if mode == self.current:
                text.append(f" {key} {name} ", style="reverse")
            else:
                text.append(" ")
                text.append(key, style="bold")
                text.append(f" {name} ")
            text.append(" ")
        hint = f"? {t('key.help')}  ^p {t('key.palette')} "
        room = self.size.width - text.cell_len - cell_len(hint)
        if room >= 2:
            text.append(" " * room + hint, style="dim")
        return text


def localize_bindings(node, t) -> None:
    """Bindings are declared with catalogue keys as descriptions (key.*); show them translated."""
    from dataclasses import replace

    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [replace(b, description=t(b.description)) if b.description.startswith("key.") else b
                      for b in bindings]


class ConsoleScreen(Screen):
    """A numbered screen. It reads its data as it is built (in the background, while another
    screen is shown, so its first visit draws at once), and again on coming back from another
    screen or a dialog when the database (or the day) changed since it last read. Tables keep
    their cursor, filter and rows on screen while the new rows are read."""

    _read_queued = False
    _read_at: tuple | None = None

    def refresh_data(self) -> None:
        raise NotImplementedError

    def shown_unchanged(self) -> None:
        """Shown again with nothing changed since it last read (a screen may start work it
        saves for when it is seen)."""

    def on_mount(self) -> None:
        if not self.is_current:
            self.read()

    def on_screen_resume(self) -> None:
        # A first visit brings two resumes (the mode's start and the switch): read once.
        if not self._read_queued:
            self._read_queued = True
            self.call_later(self._read_if_shown)

    def _read_if_shown(self) -> None:
        self._read_queued = False
        if not self.is_current or self.app.counting:
            return
        if self.app.database_state() != self._read_at:
            self.read()
        else:
            self.shown_unchanged()

    def read(self) -> None:
        """Read the screen's data now, noting the state of the database it was read at."""
        self._read_at = self.app.database_state()
        self.refresh_data()
