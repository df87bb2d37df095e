"""Write a table the console shows (its columns and the rows of its filter) to CSV, Markdown or
an Excel workbook.

Rows come as pages from the same function that feeds the screen, so an export of a million
orders streams and never holds them all. In CSV a text cell that a spreadsheet would run as a
formula (starting with = + - @, a tab or a carriage return) is written with a leading
apostrophe; numbers are written as numbers. Excel still reads a 19-digit order number in a CSV
as a number and rounds it: in .xlsx every text cell is stored as text (never a formula, IDs
whole) and numbers as numbers; a sheet holds at most 1,048,575 rows below its header.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from omnictl.errors import InputFileError, UsageError

FORMATS = ("csv", "md", "xlsx")
XLSX_MAX_ROWS = 1_048_575
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PAGE = 5000


def _whole(value):
    """A whole number read as a float (24.0) is written as 24."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def safe_cell(value) -> object:
    """A cell as written to CSV: text a spreadsheet would evaluate is defused."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return _whole(value)


def _markdown_cell(value) -> str:
    text = "" if value is None else str(_whole(value))
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def pages_of(page: Callable[[int, int], Sequence[tuple]], size: int = PAGE) -> Iterable[Sequence[tuple]]:
    """Every page of a paged source, until one comes back short."""
    offset = 0
    while True:
        rows = page(offset, size)
        if rows:
            yield rows
        if len(rows) < size:
            return
        offset += size


def format_of(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    fmt = {"csv": "csv", "md": "md", "markdown": "md", "xlsx": "xlsx"}.get(suffix)
    if fmt is None:
        raise UsageError(f"cannot tell the format of '{path}': name it .csv, .md or .xlsx")
    return fmt


def export_table(path: str | os.PathLike, headers: Sequence[str], pages: Iterable[Sequence[tuple]],
                 fmt: str | None = None) -> int:
    """Write `headers` and every row of `pages` to `path`; returns the number of rows written."""
    fmt = fmt or format_of(path)
    if fmt not in FORMATS:
        raise UsageError(f"export format '{fmt}' is not one of {', '.join(FORMATS)}")
    target = Path(path).expanduser()
    if not target.parent.exists():
        raise InputFileError(f"cannot write {target}: folder {target.parent} does not exist")
    if fmt == "xlsx":
        return _write_xlsx(target, headers, pages)
    written = 0
    try:
        # CSV with a byte-order mark: Excel then reads UTF-8 (Chinese names) instead of the locale's code page
        with open(target, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as out:
            if fmt == "csv":
                writer = csv.writer(out)
                writer.writerow([safe_cell(h) for h in headers])
                for rows in pages:
                    writer.writerows([safe_cell(v) for v in row] for row in rows)
                    written += len(rows)
            else:
                out.write("| " + " | ".join(map(_markdown_cell, headers)) + " |\n")
                out.write("|" + "---|" * len(headers) + "\n")
                for rows in pages:
                    out.writelines("| " + " | ".join(map(_markdown_cell, row)) + " |\n" for row in rows)
                    written += len(rows)
    except OSError as err:
        raise InputFileError(f"cannot write {target}: {err.strerror}") from None
    return written


def _write_xlsx(target: Path, headers: Sequence[str], pages: Iterable[Sequence[tuple]]) -> int:
    """One sheet, written when every row is in: a table too long for a sheet writes nothing."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet("export")

    def text(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"                      # openpyxl would store "=…" as a formula
        return cell

    sheet.append([text(h) for h in headers])
    written = 0
    for rows in pages:
        written += len(rows)
        if written > XLSX_MAX_ROWS:
            sheet.close()                         # its temporary file, before it is dropped
            raise UsageError(f"cannot write {target}: an Excel sheet holds {XLSX_MAX_ROWS:,} rows and this table has "
                             "more; export it to .csv")
        for row in rows:
            sheet.append([text(v) if isinstance(v, str) else _whole(v) for v in row])
    try:
        book.save(target)
    except OSError as err:
        raise InputFileError(f"cannot write {target}: {err.strerror}") from None
    return written
