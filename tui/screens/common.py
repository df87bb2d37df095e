"""What every screen shares: the line of screen keys at the top, and the refresh hook."""

from __future__ import annotations

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
