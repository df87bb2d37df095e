"""Read a tabular export (CSV, TSV, XLSX) as a header and numbered rows, streaming.

The file is read twice: a first pass hashes it (SHA-256) and proves its encoding, so a
file that cannot be decoded is refused before anything is written; the second pass parses.
Encodings: UTF-8 with or without BOM, UTF-16 with BOM, GB18030 (a superset of GBK).
Never a silent latin-1 fallback. The delimiter is sniffed from the header line.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from omnictl.errors import InputFileError

CHUNK = 1 << 20
csv.field_size_limit(16 * 1024 * 1024)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
DELIMITERS = [",", "\t", ";", "|"]


def normalise_header(name: str) -> str:
    """Header names compare trimmed, case-folded, with BOM, NBSP and runs of spaces unified."""
    if not name.isascii():                  # NFKC leaves ASCII alone; a header may have 100,000 names
        name = unicodedata.normalize("NFKC", name.replace("\ufeff", "").replace("\u00a0", " "))
    return " ".join(name.split()).strip('"').strip().casefold()


@dataclass
class Table:
    """A file's header and a way to stream its rows: `(row_no, values)`, header is row 1."""

    path: Path
    sha256: str
    kind: str                      # 'csv' or 'xlsx'
    encoding: str | None
    delimiter: str | None
    raw_header: list[str]
    header: list[str] = field(init=False)
    header_row: int = 1

    def __post_init__(self):
        self.header = [normalise_header(h) for h in self.raw_header]

    @property
    def name(self) -> str:
        return self.path.name

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        if self.kind == "xlsx":
            yield from _xlsx_rows(self.path, skip=self.header_row)
        else:
            yield from _csv_rows(self)

    def raw_text(self, values: list[str]) -> str:
        """A row as it would be written back, for reject records."""
        out = io.StringIO()
        csv.writer(out, delimiter=self.delimiter or ",", lineterminator="").writerow(values)
        return out.getvalue()

    def data_rows(self) -> Iterator[tuple[int, list[str]]]:
        """Rows that hold data: blank rows are skipped."""
        for row_no, values in self.rows():
            if any(values) and (values[0].strip() or any(v.strip() for v in values)):
                yield row_no, values


def open_table(path: str | Path) -> Table:
    """Open a file as a table, or raise InputFileError with one clear sentence."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a file")
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as err:
        raise InputFileError(f"{path}: cannot be read ({err.strerror})") from None
    if not head:
        raise InputFileError(f"{path}: the file is empty")
    if head.startswith(ZIP_MAGIC):
        return _open_xlsx(path)
    if head.startswith(OLE_MAGIC):
        raise InputFileError(f"{path}: old Excel .xls files are not read; save it as .xlsx or CSV")
    encoding, digest = _detect_encoding(path, head)
    delimiter, raw_header, header_row = _read_header(path, encoding)
    return Table(path, digest, "csv", encoding, delimiter, raw_header, header_row)


def _detect_encoding(path: Path, head: bytes) -> tuple[str, str]:
    """(encoding, sha256): BOMs decide; else UTF-8, then GB18030, each proven over the whole file."""
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif b"\x00" in head:
        if not _looks_like_utf16_without_bom(head):
            raise InputFileError(f"{path}: is a binary file, not a CSV, TSV or XLSX export")
        candidates = ["utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            digest = _hash_and_validate(path, encoding)
        except UnicodeDecodeError as err:
            failure = err
            continue
        if encoding == "gb18030" and not _plausibly_chinese(path):
            raise InputFileError(
                f"{path}: is neither UTF-8 nor Chinese GBK text; it looks like a Western code page "
                "(Windows-1252 or Latin-1); save the file as UTF-8 and import it again")
        return encoding, digest
    offset = failure.start
    line = _line_of_offset(path, offset)
    tried = " or ".join("GBK/GB18030" if c == "gb18030" else c.upper() for c in candidates)
    raise InputFileError(
        f"{path}: line {line} has bytes (offset {offset}) that are not valid {tried}; "
        "save the file as UTF-8 and import it again"
    )


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _plausibly_chinese(path: Path) -> bool:
    """GB18030 decodes most Western bytes too ("Renée Müller" becomes "Ren閑 M黮ler"). Chinese
    text has runs of several CJK characters; that mojibake has lone ones stuck to Latin letters."""
    with path.open("rb") as handle:
        text = handle.read(CHUNK).decode("gb18030", errors="ignore")
    runs = list(_NON_ASCII_RUN.finditer(text))
    stuck = sum(1 for run in runs if len(run.group()) == 1 and (
        (run.start() > 0 and text[run.start() - 1].isascii() and text[run.start() - 1].isalpha()) or
        (run.end() < len(text) and text[run.end()].isascii() and text[run.end()].isalpha())))
    return stuck < 3 or stuck * 2 < len(runs)


def _looks_like_utf16_without_bom(head: bytes) -> bool:
    """Text in UTF-16 has a zero byte beside nearly every ASCII character; binaries do not."""
    pairs = [head[i:i + 2] for i in range(0, len(head) - 1, 2)]
    if not pairs:
        return False
    ascii_pairs = sum(1 for p in pairs if (p[1] == 0 and 9 <= p[0] < 127) or (p[0] == 0 and 9 <= p[1] < 127))
    return ascii_pairs >= 0.9 * len(pairs)


def _line_of_offset(path: Path, offset: int) -> int:
    with path.open("rb") as handle:
        return handle.read(offset).count(b"\n") + 1


def _hash_and_validate(path: Path, encoding: str) -> str:
    """SHA-256 of the bytes, proving on the way that they decode; UnicodeDecodeError if not.

    The error's `start` is made absolute (an offset into the file)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                err.start += offset
                raise
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as err:
        err.start = offset
        raise
    return digest.hexdigest()


def _text_stream(path: Path, encoding: str) -> io.TextIOWrapper:
    return open(path, "r", encoding=encoding, newline="")


def _read_header(path: Path, encoding: str) -> tuple[str, list[str], int]:
    with _text_stream(path, encoding) as stream:
        row_no = 0
        for line in stream:
            row_no += 1
            if line.strip():
                delimiter = sniff_delimiter(line)
                header = next(csv.reader([line], delimiter=delimiter))
                return delimiter, header, row_no
    raise InputFileError(f"{path}: the file holds only blank lines")


def sniff_delimiter(line: str) -> str:
    """The delimiter that splits the header line into the most fields, outside quotes."""
    unquoted = re.sub(r'"[^"]*"', '""', line)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(table: Table) -> Iterator[tuple[int, list[str]]]:
    with _text_stream(table.path, table.encoding) as stream:
        reader = csv.reader(stream, delimiter=table.delimiter)
        row_no = 0
        try:
            for values in reader:
                row_no += 1
                if row_no > table.header_row:
                    yield row_no, values
        except csv.Error as err:
            raise InputFileError(f"{table.path}: row {row_no + 1} cannot be parsed ({err})") from None


def _open_xlsx(path: Path) -> Table:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    found = next(((row_no, values) for row_no, values in _xlsx_rows(path, skip=0)
                  if any(v.strip() for v in values)), None)
    if found is None:
        raise InputFileError(f"{path}: the workbook's first sheet is empty")
    header_row, header = found
    while header and not header[-1].strip():
        header.pop()
    return Table(path, digest.hexdigest(), "xlsx", None, None, header, header_row)


def _xlsx_rows(path: Path, skip: int) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    # A damaged workbook fails anywhere inside openpyxl, zipfile, zlib or the XML parser, with
    # whatever error each raises (ParseError, zlib.error, EOFError, NotImplementedError, ...).
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:
        raise _unreadable_workbook(path, err) from None
    try:
        if not book.worksheets:
            raise InputFileError(f"{path}: the workbook has no worksheet")
        rows = book.worksheets[0].iter_rows(values_only=True)
        row_no = 0
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception as err:
                raise _unreadable_workbook(path, err, row_no + 1) from None
            row_no += 1
            if row_no > skip:
                yield row_no, [cell_text(c) for c in cells]
    finally:
        book.close()


def _unreadable_workbook(path: Path, err: Exception, row_no: int | None = None) -> InputFileError:
    where = f" at row {row_no}" if row_no else ""
    detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return InputFileError(f"{path}: is not a readable XLSX workbook{where} ({detail}); "
                          "open it in a spreadsheet and save it again, or export CSV")


def cell_text(value) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if hasattr(value, "isoformat"):
        if hasattr(value, "hour") and hasattr(value, "date"):          # a datetime
            if not (value.hour or value.minute or value.second or value.microsecond):
                return value.date().isoformat()      # a date cell (Excel keeps dates as midnight)
            return value.isoformat(sep=" ")
        return value.isoformat()                     # a date, or a time of day
    return str(value)
