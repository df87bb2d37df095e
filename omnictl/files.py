"""Files omnictl writes for people and other systems: whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, TextIO, TypeVar

from omnictl.errors import InputFileError

T = TypeVar("T")


def write_whole(path: str | os.PathLike, write: Callable[[TextIO], T]) -> T:
    """Run `write(stream)` into a temporary file beside `path`, then rename it into place, so
    a failure (a full disk, a bad row) leaves whatever was at `path` untouched."""
    path = Path(path)
    if not path.parent.exists():
        raise InputFileError(f"cannot write {path}: folder {path.parent} does not exist")
    temporary = path.with_name(f".{path.name}.partial")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as stream:
            result = write(stream)
        os.replace(temporary, path)
    except OSError as err:
        raise InputFileError(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return result


# A spreadsheet evaluates a cell that starts with one of these (CSV injection: `=cmd|' /C calc'!A0`).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_START = FORMULA_START + ("'",)


def safe_cell(value):
    """A text cell as written to a CSV or Markdown file for people: one a spreadsheet would
    evaluate gets a leading `'`, so it shows as text. A text that starts with `'` before such a
    character (or another `'`) gets one too, so `unescape_cell` gives back exactly what was
    written. Numbers and empty cells pass unchanged: escape only text columns."""
    if isinstance(value, str) and (value.startswith(FORMULA_START) or _escaped(value)):
        return "'" + value
    return value


def _escaped(text: str) -> bool:
    return len(text) > 1 and text[0] == "'" and text[1] in _ESCAPED_START


def unescape_cell(text: str) -> str:
    """The inverse of `safe_cell`, for files omnictl wrote itself (its own order layout)."""
    return text[1:] if _escaped(text) else text
