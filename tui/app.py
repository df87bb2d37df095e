"""The console app: screens switched by number keys, keys help, command palette, themes,
English and Chinese labels, and a refresh when another process writes the database."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from functools import partial

from textual.app import App, SystemCommand
from textual.message import Message
from textual.screen import Screen

from omnictl import clock
from omnictl.browse import data_version
from omnictl.db import Database
from tui.app_keys import SCREEN_ORDER
from tui.i18n import Catalogue
from tui.screens.common import ConsoleScreen
from tui.work import Connections, Failed

POLL_SECONDS = 2.0
WARM_UP_AFTER_S = 0.3
BUILD_EVERY_S = 0.05


SCREEN_KEYS = dict(SCREEN_ORDER)

# The palette reaches each screen's main actions from anywhere: (screen, action, label).
SHORTCUTS = (("orders", "search", "key.search"), ("stock", "count", "key.count"), ("stock", "shortage", "key.shortage"),
             ("plan", "rush", "key.rush"), ("close", "run_close", "key.run_close"),
             ("imports", "import_file", "key.import"), ("imports", "map", "key.map"))

# Screens are imported when first shown: the first screen draws without the planning modules.
SCREEN_CLASSES = {"dashboard": "DashboardScreen", "orders": "OrdersScreen", "stock": "StockScreen", "plan": "PlanScreen",
                  "close": "CloseScreen", "forecast": "ForecastScreen", "imports": "ImportsScreen"}


def _import_screens() -> None:
    for name in [f"tui.screens.{mode}" for mode in SCREEN_CLASSES] + ["omnictl.order_card", "omnictl.search"]:
        importlib.import_module(name)


class ScreensImported(Message):
    """The other screens' modules are loaded: build the screens."""


class OmniApp(App):
    CSS_PATH = "omnictl.tcss"
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, db: Database, lang: str | None = None, *, poll: bool = True, first: str = "dashboard") -> None:
        self.t = Catalogue(lang)
        self.db = db                     # watched for other writers (its data version); work leases its own
        self.connections = Connections(db.path)
        self.counting = False            # the stock count holds the keyboard: screen keys are off
        self._poll = poll
        self._state: tuple | None = None        # the database_state last seen by the poll
        self._warming = False
        self._switching_to_built = False
        self.first = first
        self.MODES = {mode: partial(self._build_screen, mode) for mode in SCREEN_CLASSES}
        super().__init__()
        self.title = self.t("app.title")
        for key, mode in SCREEN_KEYS.items():
            self.bind(key, f"show('{mode}')", description=self.t(f"screen.{mode}"), show=False)
        self.bind("question_mark", "keys", description=self.t("key.help"))
        self.bind("ctrl+t", "toggle_theme", description=self.t("key.theme"), show=False)
        self.bind("ctrl+e", "export", description=self.t("key.export"), show=False)  # a focused table's own comes first
        self.bind("ctrl+q", "quit", description=self.t("key.quit"))

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.switch_mode(self.first)
        if self._poll:
            self.set_interval(POLL_SECONDS, self.check_for_changes)
            self.check_for_changes()

    def on_unmount(self) -> None:
        self.connections.close()

    def _build_screen(self, mode: str) -> Screen:
        screen = getattr(importlib.import_module(f"tui.screens.{mode}"), SCREEN_CLASSES[mode])()
        # Its widgets take the current theme's styles as they mount. Without this, Textual
        # re-parses and re-applies every stylesheet of every screen, twice, on each first visit
        # (about 60 ms of a key press).
        screen._css_update_count = self._css_update_count
        return screen

    # -- keys -----------------------------------------------------------------------------

    def rows_shown(self) -> None:
        """The first screen drew its data. Soon after, the other screens are made ready in the
        background, so that a key shows a screen already built: first their modules are imported
        in a thread, then each screen is built on the UI thread, one at a time between key presses.
        Each screen reads its data as it is built (see ConsoleScreen)."""
        if not self._warming:
            self._warming = True
            self.set_timer(WARM_UP_AFTER_S, self._warm_up)

    def _warm_up(self) -> None:
        def work() -> None:
            _import_screens()
            self.post_message(ScreensImported())

        self.run_worker(work, thread=True, group="warm-up")

    def on_screens_imported(self, message: ScreensImported) -> None:
        self._build_next()

    def _build_next(self) -> None:
        waiting = [mode for mode in SCREEN_CLASSES if mode not in self._screen_stacks]
        if waiting and self.is_running:
            self._init_mode(waiting[0])     # Textual's own start of a mode, without showing it
            self.set_timer(BUILD_EVERY_S, self._build_next)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.counting and action in ("show", "toggle_theme", "keys", "command_palette", "export"):
            return False
        return True

    def action_show(self, mode: str) -> None:
        if self.current_mode == mode:
            return
        self._switching_to_built = mode in self._screen_stacks
        self.clear_notifications()          # they spoke of the screen being left
        try:
            self.switch_mode(mode)
        finally:
            self._switching_to_built = False

    def delay_update(self, delay: float = 0.05) -> None:
        """Textual holds the display back for 50 ms on a switch of screens, to hide one still being
        built. A built screen is drawn at once: that is half of a key press's time."""
        if not self._switching_to_built:
            super().delay_update(delay)

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
        for mode, action, label in SHORTCUTS:
            if mode != self.current_mode:
                name = self.t(f"screen.{mode}")
                yield SystemCommand(f"{name}: {self.t(label)}", self.t("cmd.goto_and", name=name, action=self.t(label)),
                                    lambda mode=mode, action=action: self.show_and_run(mode, action))
        yield SystemCommand(self.t("key.help"), self.t("key.help"), self.action_keys)
        yield SystemCommand(self.t("key.quit"), self.t("key.quit"), self.action_quit)

    def action_export(self) -> None:
        self.export_current()

    def show_and_run(self, mode: str, action: str) -> None:
        """Show a screen and run one of its actions once it is ready."""
        self.action_show(mode)
        self.call_after_refresh(self.screen.run_action, action)

    def export_current(self) -> None:
        from tui.widgets.vtable import VirtualTable

        focused = self.screen.focused
        table = focused if isinstance(focused, VirtualTable) else next(iter(self.screen.query(VirtualTable)), None)
        if table is None:
            self.notify(self.t("export.none"), severity="warning")
        else:
            table.action_export()

    def refresh_current(self) -> None:
        screen = self.screen
        if isinstance(screen, ConsoleScreen):
            screen.read()
        elif hasattr(screen, "refresh_data"):
            screen.refresh_data()

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

    def database_state(self) -> tuple:
        """Changes when another connection commits (the app's own work uses other connections)
        or the day turns."""
        return data_version(self.db), clock.today()

    def check_for_changes(self) -> None:
        """Another connection committed (cron, another user, this app's own work) or the day
        turned: show it. SQLite answers from memory, so this runs on the UI thread."""
        state = self.database_state()
        changed = self._state is not None and state != self._state
        self._state = state
        if changed and not self.counting:
            self.refresh_current()
