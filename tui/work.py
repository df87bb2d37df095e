"""Database work off the UI thread: a thread worker runs a domain function and posts the
result (or the error's sentence) back to the widget that asked, as a message.

Each piece of work leases its own SQLite connection from a small pool, so a long read (the
replenishment plan of a whole company) never holds up another screen's page; SQLite orders
the writers (WAL, busy timeout), as it does for separate processes. Each request carries a
number; a widget keeps the newest per purpose and drops older answers, so a slow page never
overwrites a newer filter's result.
"""

from __future__ import annotations

import itertools
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from textual.message import Message
from textual.widget import Widget

from omnictl.db import Database, open_db
from omnictl.errors import DatabaseError, OmnictlError

_numbers = itertools.count(1)
MAX_CONNECTIONS = 3


class Connections:
    """Up to MAX_CONNECTIONS connections to one database file, opened as work needs them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._free: queue.SimpleQueue[Database] = queue.SimpleQueue()
        self._opened: list[Database] = []
        self._lock = threading.Lock()

    @contextmanager
    def lease(self) -> Iterator[Database]:
        db = self._take()
        try:
            yield db
        finally:
            self._free.put(db)

    def _take(self) -> Database:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self._opened) < MAX_CONNECTIONS:
                self._opened.append(open_db(self.path, migrate=False))
                return self._opened[-1]
        return self._free.get()                   # all busy: wait for one

    def close(self) -> None:
        for db in self._opened:
            db.close()
        self._opened.clear()


class Loaded(Message):
    """A domain function's result, for the widget that asked."""

    def __init__(self, purpose: str, number: int, result: Any) -> None:
        super().__init__()
        self.purpose, self.number, self.result = purpose, number, result


class Failed(Message):
    """A domain error's sentence; the app shows it as a notification."""

    def __init__(self, purpose: str, number: int, text: str) -> None:
        super().__init__()
        self.purpose, self.number, self.text = purpose, number, text


def error_text(err: BaseException, internal: Callable[[str], str]) -> str:
    if isinstance(err, OmnictlError):
        return str(err)
    if isinstance(err, sqlite3.Error):
        return str(DatabaseError(f"database error: {err}"))
    return internal(f"{type(err).__name__}: {err}")


def load(widget: Widget, purpose: str, fn: Callable, *args, **kwargs) -> int:
    """Run `fn(db, *args, **kwargs)` in a thread; `Loaded` or `Failed` arrives at `widget`."""
    app = widget.app
    number = next(_numbers)

    def work() -> None:
        try:
            with app.connections.lease() as db:
                result = fn(db, *args, **kwargs)
        except Exception as err:  # every failure becomes a sentence, never a traceback
            if os.environ.get("OMNICTL_DEBUG"):
                raise
            widget.post_message(Failed(purpose, number, error_text(err, lambda d: app.t("error.internal", detail=d))))
            return
        widget.post_message(Loaded(purpose, number, result))

    widget.run_worker(work, thread=True, group=f"{id(widget)}:{purpose}", exit_on_error=False)
    return number
