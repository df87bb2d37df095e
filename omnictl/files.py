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
