"""The line of keys at the bottom: the shown bindings of the focused widget, the screen and
the app, as one Static. Textual's Footer builds a widget per key and rebuilds them on every
screen switch, which was half the cost of a switch here."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar { height: 1; dock: bottom; background: $footer-background; color: $footer-foreground; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._changed)
        self._changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _changed(self, screen) -> None:
        if self.is_attached and self.screen.is_current:
            self.update(self.keys_text())

    def keys_text(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        seen = set()
        for _, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or not enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            text.append(f" {self.app.get_key_display(binding)} ", style="bold reverse")
            text.append(f" {binding.description}  ")
        return text
