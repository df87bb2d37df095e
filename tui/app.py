"""The console app: screens switched by number keys, keys help, command palette, themes,
English and Chinese labels, and a refresh when another process writes the database."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

from omnictl.browse import data_version
from omnictl.db import Database
from tui.app_keys import SCREEN_ORDER
from tui.i18n import Catalogue
from tui.work import Failed, Loaded, load

POLL_SECONDS = 2.0
WARM_UP_AFTER_S = 0.5


def _warm_up() -> None:
    """Import the other screens (and the domain models they bind) once the first screen is
    drawn, so that the first visit of each is not also its import."""
    import importlib

    for name in ("tui.screens.orders", "tui.screens.close", "tui.screens.stock", "tui.screens.plan", "tui.screens.imports", "tui.screens.forecast",
                 "omnictl.order_card", "omnictl.search"):
        importlib.import_module(name)

SCREEN_KEYS = dict(SCREEN_ORDER)


# Screens are imported when first shown: the first screen draws without the planning modules.
def _dashboard() -> Screen:
    from tui.screens.dashboard import DashboardScreen

    return DashboardScreen()


def _close() -> Screen:
    from tui.screens.close import CloseScreen

    return CloseScreen()


def _orders() -> Screen:
    from tui.screens.orders import OrdersScreen

    return OrdersScreen()


def _stock() -> Screen:
    from tui.screens.stock import StockScreen

    return StockScreen()


def _plan() -> Screen:
    from tui.screens.plan import PlanScreen

    return PlanScreen()


def _imports() -> Screen:
    from tui.screens.imports import ImportsScreen

    return ImportsScreen()


def _forecast() -> Screen:
    from tui.screens.forecast import ForecastScreen

    return ForecastScreen()


class OmniApp(App):
    CSS_PATH = "omnictl.tcss"
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, db: Database, lang: str | None = None, *, poll: bool = True, first: str = "dashboard") -> None:
        self.t = Catalogue(lang)
        self.db = db
        self.db_lock = threading.Lock()
        self.counting = False            # the stock count holds the keyboard: screen keys are off
        self._poll = poll
        self._data_version: int | None = None
        self._warming = False
        self.first = first
        self.MODES = {"dashboard": _dashboard, "close": _close, "orders": _orders, "stock": _stock, "plan": _plan, "imports": _imports,
                      "forecast": _forecast}
        super().__init__()
        self.title = self.t("app.title")
        for key, mode in SCREEN_KEYS.items():
            self.bind(key, f"show('{mode}')", description=self.t(f"screen.{mode}"), show=False)
        self.bind("question_mark", "keys", description=self.t("key.help"))
        self.bind("ctrl+t", "toggle_theme", description=self.t("key.theme"), show=False)
        self.bind("ctrl+q", "quit", description=self.t("key.quit"))

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.switch_mode(self.first)
        if self._poll:
            self.set_interval(POLL_SECONDS, self.check_for_changes)
            load(self, "data_version", data_version)

    # -- keys -----------------------------------------------------------------------------

    def rows_shown(self) -> None:
        """A table drew its first rows: import the other screens soon, off the UI thread (not
        before: the imports would compete with the first screen for the interpreter)."""
        if not self._warming:
            self._warming = True
            self.set_timer(WARM_UP_AFTER_S, lambda: self.run_worker(_warm_up, thread=True, group="warm-up"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.counting and action in ("show", "toggle_theme", "keys", "command_palette"):
            return False
        return True

    def action_show(self, mode: str) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_keys(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for key, mode in SCREEN_KEYS.items():
            name = self.t(f"screen.{mode}")
            yield SystemCommand(f"{key} {name}", self.t("cmd.goto", name=name),
                                lambda mode=mode: self.action_show(mode))
        yield SystemCommand(self.t("key.theme"), self.t("cmd.theme"), self.action_toggle_theme)
        yield SystemCommand(self.t("key.export"), self.t("cmd.export"), self.export_current)
        yield SystemCommand(self.t("key.refresh"), self.t("cmd.refresh"), self.refresh_current)
        yield from getattr(screen, "commands", lambda: ())()
        yield SystemCommand(self.t("key.help"), self.t("key.help"), self.action_keys)
        yield SystemCommand(self.t("key.quit"), self.t("key.quit"), self.action_quit)

    def export_current(self) -> None:
        from tui.widgets.vtable import VirtualTable

        focused = self.screen.focused
        table = focused if isinstance(focused, VirtualTable) else next(iter(self.screen.query(VirtualTable)), None)
        if table is not None:
            table.action_export()

    def refresh_current(self) -> None:
        refresh = getattr(self.screen, "refresh_data", None)
        if refresh is not None:
            refresh()

    def _fatal_error(self) -> None:
        """An unexpected error ends the app without a traceback on the screen: `omnictl tui`
        then reports it in one sentence (OMNICTL_DEBUG=1 shows Textual's traceback)."""
        if os.environ.get("OMNICTL_DEBUG"):
            super()._fatal_error()
            return
        self.bell()
        self._close_messages_no_wait()

    @property
    def failure(self) -> BaseException | None:
        return self._exception

    # -- messages up ------------------------------------------------------------------------

    def on_failed(self, message: Failed) -> None:
        self.notify(message.text, severity="error", timeout=8)

    def check_for_changes(self) -> None:
        load(self, "data_version", data_version)

    def on_loaded(self, message: Loaded) -> None:
        if message.purpose != "data_version":
            return
        changed = self._data_version is not None and message.result != self._data_version
        self._data_version = message.result
        if changed and not self.counting:
            self.refresh_current()
