"""A table that pages its rows from the database as they come into view.

Textual's DataTable measures every cell before its first frame (about 120 µs a row: 12 s for
100,000 rows), so this table never holds more than a few pages: it asks its source for the
row count, then for the pages the viewport and cursor touch, in a thread worker. Columns are
sized in terminal cells (rich.cells), so Chinese names line up with Latin ones.

The parent sets `source` (a Source); the table posts `Highlighted` and `Selected` up.
Ctrl+E exports every row of the source (the current filter) through omnictl.tableexport.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from omnictl import clock
from omnictl.tableexport import export_table, pages_of
from tui.work import Failed, Loaded, load

PAGE_SIZE = 100
CACHED_PAGES = 40


@dataclass(frozen=True)
class Column:
    key: str                  # catalogue key col.<key>: the header on screen and in the export
    width: int
    right: bool = False
    grow: int = 0             # up to this many cells wider when the screen has room
    vocabulary: bool | str = False  # values are words of the catalogue (value.<word>, or <this>.<word>): shown translated
    hide_below: int = 0       # left out on screen (not in the export) when the table is narrower than this


@dataclass
class Source:
    """What the table shows: `count(db)` and `page(db, offset, limit)` are domain functions."""

    name: str                                     # for the export file name
    columns: Sequence[Column]
    count: Callable[..., int]
    page: Callable[..., Sequence[tuple]]
    key: tuple = field(default=())                # the filter: a new key resets the cursor
    skip: int = 0                                 # the first values of a row are keys, not shown
    rows: Sequence[tuple] | None = None           # rows already read: shown without a trip to the database


def rows_source(name: str, columns: Sequence[Column], rows: Sequence[tuple], key: tuple = (), skip: int = 0) -> Source:
    """A source over rows already read (search results, a short list)."""
    return Source(name, columns, lambda db: len(rows), lambda db, offset, limit: rows[offset:offset + limit], key,
                  skip, rows)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


class VirtualTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"vtable--header", "vtable--cursor", "vtable--odd"}
    BINDINGS = [
        Binding("up", "move(-1)", show=False), Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False), Binding("pagedown", "page(1)", show=False),
        Binding("home", "edge(-1)", show=False), Binding("end", "edge(1)", show=False),
        Binding("enter", "select", "key.open", show=False),
        Binding("ctrl+e", "export", "key.export"),
    ]
    DEFAULT_CSS = """
    VirtualTable { height: 1fr; }
    VirtualTable > .vtable--header { text-style: bold; background: $panel; }
    VirtualTable > .vtable--cursor { background: $accent 60%; }
    VirtualTable:focus > .vtable--cursor { background: $accent; text-style: bold; }
    VirtualTable > .vtable--odd { background: $boost; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, table: VirtualTable, index: int, row: tuple | None) -> None:
            super().__init__()
            self.table, self.index, self.row = table, index, row

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Selected(Highlighted):
        pass

    class Exported(Message):
        def __init__(self, path: str, rows: int) -> None:
            super().__init__()
            self.path, self.rows = path, rows

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.source: Source | None = None
        self.row_count: int | None = None
        self._pages: dict[int, Sequence[tuple]] = {}
        self._previous: dict[int, Sequence[tuple]] = {}  # shown while the same rows are read again
        self._asked: dict[int, int] = {}          # page → request number
        self._count_request = 0
        self._widths: list[int] = []
        self._shown: list[int] = []               # the columns on screen, by index

    # -- attributes down ------------------------------------------------------------------

    def on_mount(self) -> None:
        from tui.screens.common import localize_bindings

        localize_bindings(self, self.app.t)

    def show(self, source: Source) -> None:
        """Show `source`; the same filter (key) keeps the cursor, a new one starts at the top."""
        same = self.source is not None and self.source.key == source.key and self.source.name == source.name
        self.source = source
        self._fit()
        if not same:
            self.cursor = 0
            self.row_count = None
            self._pages.clear()
            self.scroll_to(0, 0, animate=False)
        self.reload()

    def _fit(self) -> None:
        """Column widths: at least the header, then the room left given to growing columns."""
        if self.source is None:
            return
        self._shown = [i for i, c in enumerate(self.source.columns) if self.size.width >= c.hide_below]
        columns = [self.source.columns[i] for i in self._shown]
        widths = [max(c.width, cell_len(self.app.t(f"col.{c.key}"))) for c in columns]
        # the vertical scrollbar is reserved: it appears once the count is known, without a resize
        room = self.size.width - self.styles.scrollbar_size_vertical - sum(widths) - len(widths)
        for i, column in enumerate(columns):
            extra = min(column.grow, max(0, room))
            widths[i] += extra
            room -= extra
        self._widths = widths
        if self.row_count is not None:
            self.virtual_size = Size(sum(widths) + len(widths), self.row_count + 1)

    def on_resize(self, event) -> None:
        self._fit()
        self._want_visible()

    def reload(self) -> None:
        """Read the count and the visible pages again (the database changed); the rows on
        screen stay until their new versions arrive, so a refresh never blanks the table."""
        if self.source is None:
            return
        self._previous, self._pages = self._pages, {}
        self._asked.clear()
        if self.source.rows is not None:
            self._previous = {}
            self._got_count(len(self.source.rows))
            return
        self._ask(self.cursor // PAGE_SIZE)     # the rows in view first: a filtered count may scan the table
        self._count_request = load(self, "count", self.source.count)

    def _ask(self, page: int) -> None:
        rows = self.source.rows
        if rows is not None:
            self._got_page(page, rows[page * PAGE_SIZE:(page + 1) * PAGE_SIZE])
        else:
            self._asked[page] = load(self, f"page:{page}", self.source.page, page * PAGE_SIZE, PAGE_SIZE)

    def _known_rows(self) -> int:
        """The count, or until it is read, the rows of the first page."""
        return self.row_count if self.row_count is not None else len(self._pages.get(0, ()))

    def _page(self, number: int) -> Sequence[tuple] | None:
        page = self._pages.get(number)
        return page if page is not None else self._previous.get(number)

    @property
    def has_rows(self) -> bool:
        """Rows are on screen (or the source has none)."""
        return self._page(0) is not None or self.row_count == 0

    @property
    def current_row(self) -> tuple | None:
        page = self._page(self.cursor // PAGE_SIZE)
        offset = self.cursor % PAGE_SIZE
        return page[offset] if page is not None and offset < len(page) else None

    # -- loading --------------------------------------------------------------------------

    def on_loaded(self, message: Loaded) -> None:
        message.stop()
        if message.purpose == "count":
            if message.number == self._count_request:
                self._got_count(message.result)
        elif message.purpose == "export":
            path, rows = message.result
            self.app.notify(self.app.t("export.done", count=rows, path=path))
            self.post_message(self.Exported(path, rows))
        elif message.purpose.startswith("page:"):
            page = int(message.purpose[5:])
            if self._asked.get(page) == message.number:
                self._got_page(page, message.result)

    def _got_count(self, count: int) -> None:
        self.row_count = count
        self.virtual_size = Size(sum(self._widths) + len(self._widths), self.row_count + 1)
        self.cursor = min(self.cursor, max(0, self.row_count - 1))
        self._want_visible()

    def _got_page(self, page: int, rows: Sequence[tuple]) -> None:
        self._pages[page] = rows
        getattr(self.app, "rows_shown", lambda: None)()
        if self.row_count is None and page == 0:
            self.virtual_size = Size(sum(self._widths) + len(self._widths), len(rows) + 1)
        while len(self._pages) > CACHED_PAGES:
            self._pages.pop(next(iter(self._pages)))
        self.refresh()
        if self.cursor // PAGE_SIZE == page:
            self.post_message(self.Highlighted(self, self.cursor, self.current_row))

    def on_failed(self, message: Failed) -> None:
        if message.purpose.startswith("page:"):
            self._asked.pop(int(message.purpose[5:]), None)

    def _want_visible(self) -> None:
        if self.source is None or self.row_count is None:
            return
        top = int(self.scroll_offset.y)
        wanted = {top // PAGE_SIZE, max(0, top + self.size.height) // PAGE_SIZE, self.cursor // PAGE_SIZE}
        for page in sorted(wanted):
            if page * PAGE_SIZE < max(self.row_count, 1) and page not in self._pages and page not in self._asked:
                self._ask(page)
        self.refresh()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._want_visible()

    def watch_cursor(self, index: int) -> None:
        if self.row_count is None:
            return
        top = int(self.scroll_offset.y)
        body = max(1, self.size.height - 1)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + body:
            self.scroll_to(y=index - body + 1, animate=False)
        self._want_visible()
        if self.current_row is not None:
            self.post_message(self.Highlighted(self, index, self.current_row))

    # -- keys -----------------------------------------------------------------------------

    def _go(self, index: int) -> None:
        if self.row_count:
            self.cursor = max(0, min(self.row_count - 1, index))

    def action_move(self, step: int) -> None:
        self._go(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._go(self.cursor + direction * max(1, self.size.height - 2))

    def action_edge(self, direction: int) -> None:
        self._go(0 if direction < 0 else (self.row_count or 1) - 1)

    def action_select(self) -> None:
        if self.current_row is not None:
            self.post_message(self.Selected(self, self.cursor, self.current_row))

    def on_click(self, event) -> None:
        if event.y >= 1:
            self._go(int(self.scroll_offset.y) + event.y - 1)

    def action_export(self) -> None:
        if self.source is None:
            return
        from tui.screens.dialogs import AskText

        default = str(Path.cwd() / f"omnictl-{self.source.name}-{clock.today().isoformat()}.csv")
        self.app.push_screen(AskText(self.app.t("export.title", count=self.row_count or 0), default),
                             self._export_to)

    def _export_to(self, path: str | None) -> None:
        if not path or self.source is None:
            return
        t, columns = self.app.t, self.source.columns
        headers = [t(f"col.{c.key}") for c in columns]
        page, skip = self.source.page, self.source.skip

        def shown(db, offset, limit):      # as on screen: the columns' values (not the keys beyond), words translated
            return [[self._word(v, c) for v, c in zip(row[skip:], columns)] for row in page(db, offset, limit)]

        load(self, "export", lambda db: (path, export_table(path, headers, pages_of(lambda o, n: shown(db, o, n)))))

    # -- drawing --------------------------------------------------------------------------

    def _word(self, value, column: Column):
        if not column.vocabulary or not isinstance(value, str) or not value:
            return value
        return self.app.t.word(value, column.vocabulary if isinstance(column.vocabulary, str) else "value")

    def _line(self, values: Sequence, style: Style) -> Strip:
        segments = []
        values, columns = values[self.source.skip:], self.source.columns
        for i, width in zip(self._shown, self._widths):
            value, column = values[i], columns[i]
            text = _cell(self._word(value, column)).replace("\n", " ")
            if cell_len(text) > width:
                text = set_cell_size(text, width - 1) + "…"
            pad = " " * (width - cell_len(text))
            segments.append(Segment((pad + text if column.right else text + pad) + " ", style))
        return Strip(segments)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = int(self.scroll_offset.x), int(self.scroll_offset.y)
        base = self.rich_style
        if self.source is None:
            return Strip.blank(width, base)
        if y == 0:
            style = base + self.get_component_rich_style("vtable--header")
            strip = self._line([None] * self.source.skip + [self.app.t(f"col.{c.key}") for c in self.source.columns],
                               style)
            return strip.crop_extend(scroll_x, scroll_x + width, style)
        index = scroll_y + y - 1
        if index >= self._known_rows():
            if self.row_count == 0 and y == 1:
                return Strip([Segment(self.app.t("table.empty"), base)]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        page = self._page(index // PAGE_SIZE)
        style = base
        if index % 2:
            style = base + self.get_component_rich_style("vtable--odd")
        if index == self.cursor:
            style = base + self.get_component_rich_style("vtable--cursor")
        if page is None or index % PAGE_SIZE >= len(page):
            return Strip([Segment("…", style)]).crop_extend(0, width, style)
        return self._line(page[index % PAGE_SIZE], style).crop_extend(scroll_x, scroll_x + width, style)
