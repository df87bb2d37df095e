"""Database work off the UI thread: a thread worker runs a domain function and posts the
result (or the error's sentence) back to the widget that asked, as a message.

One connection serves the app, so calls are serialised by the app's lock. Each request
carries a number; a widget keeps the newest per purpose and drops older answers, so a slow
page never overwrites a newer filter's result.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.widget import Widget

from omnictl.errors import DatabaseError, OmnictlError

_numbers = itertools.count(1)


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
            with app.db_lock:
                result = fn(app.db, *args, **kwargs)
        except Exception as err:  # every failure becomes a sentence, never a traceback
            if os.environ.get("OMNICTL_DEBUG"):
                raise
            widget.post_message(Failed(purpose, number, error_text(err, lambda d: app.t("error.internal", detail=d))))
            return
        widget.post_message(Loaded(purpose, number, result))

    widget.run_worker(work, thread=True, group=f"{id(widget)}:{purpose}", exit_on_error=False)
    return number
