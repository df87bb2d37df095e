"""A Gantt chart as lines of text: the one renderer behind `plan gantt` and the TUI.

Pure: no database, no clock (the caller passes `today`), no terminal library. The caller
gives rows (a work center or an order) of bars, a window, a width in cells and the company
timezone; it gets back lines, each a string plus style spans in cells, which the CLI maps
to rich styles and the TUI to its own (`STYLES` lists every name used).

Layout, top to bottom: a day line (only when hour ticks are shown), the tick labels, the
axis rule with `+` at each tick, one line per row (more when bars overlap in time, e.g. a
work center with two units: the overlapping bars go to extra sub-rows under the same
label), and the legend. A left column holds the row labels, sized to the longest label by
display width (a Chinese character takes two cells) and truncated with an ellipsis when it
would take more than a third of the width.

Characters (`ascii=True`, for pipes and cron mail: the characters alone carry the
meaning, styles are still returned but are not needed):

    #  planned work           =  work on the bottleneck
    !  late work              %  frozen work (already started)
    |  today                  v  a due date
    +  a tick on the axis     -  the axis

Late wins over bottleneck, bottleneck over frozen. With `ascii=False` bars are drawn as
blank cells carrying their style (the terminal paints the background) so the order
number written inside stays readable; markers and the axis use the same ASCII characters
in both modes, because box-drawing characters are "ambiguous width" in East Asian
terminals and would break the alignment of Chinese labels.

Same input, same output: ticks follow local wall-clock time in the given zone, cells are
computed in integer microseconds, overlapping bars are placed in a fixed order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from omnictl.errors import UsageError

STYLES = ("bar", "late", "bottleneck", "frozen", "today", "due", "axis", "label")
"""Every style name a span may carry. "frozen" is for operations already started."""

ASCII_CHARS = {"bar": "#", "bottleneck": "=", "late": "!", "frozen": "%", "today": "|", "due": "v"}
LEGEND = (("bar", "planned"), ("bottleneck", "bottleneck"), ("late", "late"),
          ("frozen", "frozen"), ("today", "today"), ("due", "due"))
SUGGESTED_STYLES = {
    "bar": "black on cyan", "bottleneck": "black on yellow", "late": "bold white on red",
    "frozen": "white on bright_black", "today": "bold magenta", "due": "bold red",
    "axis": "dim", "label": "bold",
}
"""A starting point for rich (`Text.stylize`) or Textual; plain strings, nothing imported."""

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
TICK_STEPS = (HOUR, 2 * HOUR, 4 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class GanttWords(NamedTuple):
    """The chart's words, for a face that shows another language."""
    legend: str = "Legend:"
    kinds: tuple[str, ...] = tuple(word for _, word in LEGEND)   # in LEGEND's order
    times_in: str = "times in {zone}"
    weekdays: tuple[str, ...] = WEEKDAYS                          # one or two cells each


ENGLISH = GanttWords()
DAY_LABEL_WIDTH = len("11-26 Thu")
HOUR_TICK_CELLS = 4
HOUR_TICKS_MIN_DAY_CELLS = DAY_LABEL_WIDTH + 3
MIN_CHART_WIDTH = 10
_PRIORITY = {"bar": 1, "frozen": 2, "bottleneck": 3, "late": 4}


class GanttBar(NamedTuple):
    """One operation (or order) from `start` to `end`, both aware; `due` draws a marker."""

    start: datetime
    end: datetime
    label: str = ""
    late: bool = False
    bottleneck: bool = False
    frozen: bool = False
    due: datetime | None = None

    @property
    def kind(self) -> str:
        if self.late:
            return "late"
        if self.bottleneck:
            return "bottleneck"
        return "frozen" if self.frozen else "bar"


class GanttRow(NamedTuple):
    label: str
    bars: Sequence[GanttBar]


class Span(NamedTuple):
    """Cells `start` (included) to `end` (excluded) of a line carry `style`."""

    start: int
    end: int
    style: str


class GanttLine(NamedTuple):
    text: str
    spans: tuple[Span, ...]

    def char_spans(self) -> list[Span]:
        """The spans in character offsets of `text` (what `rich.text.Text.stylize` takes)."""
        index = _cell_to_char(self.text)
        return [Span(index[s.start], index[s.end], s.style) for s in self.spans]


# ---------------------------------------------------------------------------- display width

def char_width(ch: str) -> int:
    """Cells a character takes: 2 for East Asian wide/full-width, 0 for combining marks."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def truncate(text: str, width: int, ellipsis: str = "…") -> str:
    """`text` cut to at most `width` cells, ending in `ellipsis` when something was cut."""
    if display_width(text) <= width:
        return text
    room = width - display_width(ellipsis)
    if room < 0:
        return ""
    kept, used = [], 0
    for ch in text:
        w = char_width(ch)
        if used + w > room:
            break
        kept.append(ch)
        used += w
    return "".join(kept) + ellipsis


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", str(text))
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def _cell_to_char(text: str) -> list[int]:
    """For each cell (and one past the end), the index of the character drawn there."""
    index: list[int] = []
    for i, ch in enumerate(text):
        index.extend([i] * char_width(ch))
    index.append(len(text))
    return index


# ---------------------------------------------------------------------------- time to cells

def _micro(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class _Scale:
    def __init__(self, start: datetime, end: datetime, cells: int):
        self.start, self.total, self.cells = start, _micro(end - start), cells

    def floor(self, t: datetime) -> int:
        """The cell holding instant `t`."""
        return (_micro(t - self.start) * self.cells) // self.total

    def nearest(self, t: datetime) -> int:
        """The cell boundary nearest to `t` (halves round up)."""
        n = _micro(t - self.start) * self.cells
        return (2 * n + self.total) // (2 * self.total)

    def bar(self, start: datetime, end: datetime) -> tuple[int, int]:
        first, last = self.nearest(start), self.nearest(end)
        if last <= first:                       # shorter than a cell: the cell of its middle
            first = min(self.floor(start + (end - start) / 2), self.cells - 1)
            last = first + 1
        return first, last


def choose_tick_step(start: datetime, end: datetime, chart_width: int) -> timedelta:
    """The finest of 1h/2h/4h/6h/12h/1d/2d/7d that fits `chart_width` cells (7d when none does).

    Day ticks need room for "11-26 Thu" and a space (10 cells). Hour ticks need 4 cells each
    ("06" and two spaces) and a day of at least 12 cells, so that a day is wide enough to be
    worth cutting up; between 10 and 12 cells a day, plain day ticks read better.
    """
    total = _micro(end - start)
    for step in TICK_STEPS:
        if step < DAY:
            fits = (_micro(step) * chart_width >= HOUR_TICK_CELLS * total
                    and _micro(DAY) * chart_width >= HOUR_TICKS_MIN_DAY_CELLS * total)
        else:
            fits = _micro(step) * chart_width >= (DAY_LABEL_WIDTH + 1) * total
        if fits:
            return step
    return TICK_STEPS[-1]


def _ticks(start: datetime, end: datetime, step: timedelta, zone: tzinfo) -> list[datetime]:
    """Tick instants in [start, end), on local wall-clock hours, midnights, even days or Mondays."""
    ticks = []
    day: date = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        if step < DAY:
            hours = range(0, 24, step // HOUR)
        elif step == DAY:
            hours = range(1)
        elif step == 2 * DAY:
            hours = range(1) if day.toordinal() % 2 == 0 else range(0)
        else:
            hours = range(1) if day.weekday() == 0 else range(0)
        for hour in hours:
            t = _utc(datetime.combine(day, time(hour), tzinfo=zone))
            if start <= t < end:
                ticks.append(t)
        day += DAY
    return ticks


def _day_label(t: datetime, weekdays: tuple[str, ...] = WEEKDAYS) -> str:
    return f"{t:%m-%d} {weekdays[t.weekday()]}"


# ---------------------------------------------------------------------------- canvas

class _Canvas:
    """One line of the chart area: a character (possibly empty: the right half of a wide one)
    and a style per cell."""

    def __init__(self, width: int):
        self.chars = [" "] * width
        self.styles: list[str | None] = [None] * width

    def write(self, col: int, text: str, style: str | None) -> None:
        for ch in text:
            w = char_width(ch)
            if w == 0:
                if col > 0:
                    self.chars[col - 1] += ch
                continue
            self.chars[col], self.styles[col] = ch, style
            if w == 2:
                self.chars[col + 1], self.styles[col + 1] = "", style
            col += w


def _place_labels(canvas: _Canvas, items: Iterable[tuple[int, str]], style: str) -> None:
    """Write labels in the order given, skipping any that would touch one already placed."""
    taken: list[tuple[int, int]] = []
    width = len(canvas.chars)
    for col, text in items:
        end = col + display_width(text)
        if col < 0 or end > width or any(col <= b and a <= end for a, b in taken):
            continue
        canvas.write(col, text, style)
        taken.append((col, end))


def _line(label: str, label_width: int, canvas: _Canvas) -> GanttLine:
    spans: list[Span] = []
    if label:
        spans.append(Span(0, display_width(label), "label"))
    offset = label_width + 1
    run_start, run_style = 0, None
    for col, style in enumerate([*canvas.styles, None]):
        if style != run_style:
            if run_style is not None:
                spans.append(Span(offset + run_start, offset + col, run_style))
            run_start, run_style = col, style
    pad = " " * (label_width - display_width(label) + 1)
    return GanttLine(label + pad + "".join(canvas.chars), tuple(spans))


# ---------------------------------------------------------------------------- the chart

def render_gantt(rows: Iterable[GanttRow | tuple], start: datetime, end: datetime, *,
                 width: int, today: datetime, zone: tzinfo, ascii: bool = False,
                 words: GanttWords = ENGLISH) -> list[GanttLine]:
    """Draw `rows` between `start` and `end` (aware) in `width` cells; ticks in `zone`.

    Rows and bars may be plain tuples in the field order of GanttRow and GanttBar. Bars are
    clipped to the window; a row keeps its place even when it has nothing in the window.
    When no bar falls in the window the result is one line saying so. Every other line is
    exactly `width` cells wide.
    """
    for name, value in (("start", start), ("end", end), ("today", today)):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be an aware datetime")
    # Everything in UTC from here: Python compares and subtracts two datetimes sharing one
    # tzinfo by wall clock, which is wrong across a daylight-saving change.
    start, end, today = _utc(start), _utc(end), _utc(today)
    if end <= start:
        raise UsageError("The Gantt window must end after it starts.")
    rows = [GanttRow(_clean(label), [_utc_bar(b if isinstance(b, GanttBar) else GanttBar(*b), label)
                                     for b in bars])
            for label, bars in rows]

    visible = sum(1 for row in rows for bar in row.bars if _in_window(bar, start, end))
    if not visible:
        span = f"{start.astimezone(zone):%Y-%m-%d %H:%M} and {end.astimezone(zone):%Y-%m-%d %H:%M}"
        outside = sum(len(row.bars) for row in rows)
        note = (f" ({outside} bars fall outside this window)" if outside > 1
                else " (1 bar falls outside this window)" if outside else "")
        return [GanttLine(f"Nothing planned between {span} ({_zone_name(zone)}){note}.", ())]

    ellipsis = "~" if ascii else "…"
    label_width = max((display_width(row.label) for row in rows), default=0)
    label_width = max(1, min(label_width, max(4, width // 3), width - 1 - MIN_CHART_WIDTH))
    chart_width = width - label_width - 1
    if chart_width < MIN_CHART_WIDTH:
        raise UsageError(f"A Gantt chart needs at least {MIN_CHART_WIDTH + 2} columns; got {width}.")
    scale = _Scale(start, end, chart_width)
    today_col = scale.floor(today) if start <= today < end else None

    lines = _axis(scale, start, end, zone, label_width, today_col, words.weekdays)
    for row in rows:
        label = truncate(row.label, label_width, ellipsis)
        for i, canvas in enumerate(_row_canvases(row, scale, start, end, ascii)):
            if today_col is not None and canvas.styles[today_col] is None:
                canvas.write(today_col, ASCII_CHARS["today"], "today")
            lines.append(_line(label if i == 0 else "", label_width, canvas))
    lines.extend(_legend(width, zone, ascii, words))
    return lines


def _utc(t: datetime) -> datetime:
    return t.astimezone(UTC)


def _utc_bar(bar: GanttBar, row: str) -> GanttBar:
    if bar.start.tzinfo is None or bar.end.tzinfo is None or (bar.due and bar.due.tzinfo is None):
        raise ValueError(f"bar {bar.label!r} of {row!r} has a naive datetime")
    if bar.end < bar.start:
        raise ValueError(f"bar {bar.label!r} of {row!r} ends before it starts")
    return bar._replace(start=_utc(bar.start), end=_utc(bar.end), due=bar.due and _utc(bar.due))


def _in_window(bar: GanttBar, start: datetime, end: datetime) -> bool:
    if bar.start == bar.end:
        return start <= bar.start < end
    return bar.start < end and bar.end > start


def _zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


def _axis(scale: _Scale, start: datetime, end: datetime, zone: tzinfo, label_width: int,
          today_col: int | None, weekdays: tuple[str, ...] = WEEKDAYS) -> list[GanttLine]:
    width = scale.cells
    step = choose_tick_step(start, end, width)
    ticks = _ticks(start, end, step, zone)
    columns = sorted({scale.floor(t) for t in ticks})
    lead = [(0, _day_label(start.astimezone(zone), weekdays))] if 0 not in columns else []
    lines = []
    if step < DAY:
        days = _Canvas(width)
        midnights = [(scale.floor(t), _day_label(t.astimezone(zone), weekdays)) for t in _ticks(start, end, DAY, zone)]
        _place_labels(days, midnights + lead, "axis")
        hours = _Canvas(width)
        _place_labels(hours, [(scale.floor(t), f"{t.astimezone(zone).hour:02d}") for t in ticks], "axis")
        lines += [days, hours]
    else:
        dates = _Canvas(width)
        _place_labels(dates, [(scale.floor(t), _day_label(t.astimezone(zone), weekdays)) for t in ticks] + lead,
                      "axis")
        lines.append(dates)
    rule = _Canvas(width)
    rule.write(0, "-" * width, "axis")
    for col in columns:
        rule.write(col, "+", "axis")
    if today_col is not None:
        rule.write(today_col, ASCII_CHARS["today"], "today")
    lines.append(rule)
    return [_line("", label_width, canvas) for canvas in lines]


def _row_canvases(row: GanttRow, scale: _Scale, start: datetime, end: datetime, ascii: bool) -> list[_Canvas]:
    """The row's bars in sub-rows: a bar goes to the first sub-row free at its start."""
    shown = sorted(((max(bar.start, start), min(bar.end, end), i, bar)
                    for i, bar in enumerate(row.bars) if _in_window(bar, start, end)),
                   key=lambda item: (item[0], item[1], item[3].label, item[3].kind, item[2]))
    lane_ends: list[datetime] = []
    lanes: list[list[tuple[int, int, int, GanttBar]]] = []
    lane_of: dict[int, int] = {}
    for first, last, i, bar in shown:
        lane = next((n for n, busy_until in enumerate(lane_ends) if busy_until <= first), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(last)
            lanes.append([])
        lane_ends[lane] = last
        lanes[lane].append((*scale.bar(first, last), i, bar))
        lane_of[i] = lane
    if not lanes:
        lanes.append([])

    due_cells: list[set[int]] = [set() for _ in lanes]
    for i, bar in enumerate(row.bars):
        if bar.due is not None and start <= bar.due < end:
            due_cells[lane_of.get(i, 0)].add(scale.floor(bar.due))

    canvases = []
    for placed, dues in zip(lanes, due_cells):
        canvas = _Canvas(scale.cells)
        owner: list[int | None] = [None] * scale.cells
        for first, last, i, bar in placed:
            for col in range(first, last):
                current = canvas.styles[col]
                kind = bar.kind if current is None or _PRIORITY[bar.kind] >= _PRIORITY[current] else current
                canvas.write(col, ASCII_CHARS[kind] if ascii else " ", kind)
                owner[col] = i
        labelled: set[int] = set()
        for first, last, i, bar in placed:
            text = _clean(bar.label)
            need = display_width(text)
            if not need or need > last - first:
                continue
            room = last - first - need
            for offset in dict.fromkeys(([1] if room >= 2 else []) + list(range(room + 1))):
                cells = range(first + offset, first + offset + need)
                if all(owner[c] == i and c not in dues and c not in labelled for c in cells):
                    col = first + offset
                    for ch in text:
                        if char_width(ch):
                            canvas.write(col, ch, canvas.styles[col])
                            col += char_width(ch)
                        else:
                            canvas.write(col, ch, None)
                    labelled.update(cells)
                    break
        for col in sorted(dues):
            canvas.write(col, ASCII_CHARS["due"], "due")
        canvases.append(canvas)
    return canvases


def _legend(width: int, zone: tzinfo, ascii: bool, words: GanttWords = ENGLISH) -> list[GanttLine]:
    """`Legend:  # planned  = bottleneck ...`, wrapped to `width`; each swatch carries its style."""
    pieces: list[tuple[str, str | None, str]] = []
    for (kind, _), word in zip(LEGEND, words.kinds):
        swatch = ASCII_CHARS[kind] if ascii or kind in ("today", "due") else " "
        pieces.append((swatch, kind, word))
    pieces.append(("", None, words.times_in.format(zone=_zone_name(zone))))
    lines: list[GanttLine] = []
    text, spans = words.legend, []
    indent = " " * display_width(text)
    for swatch, style, word in pieces:
        piece = f"  {swatch} {word}" if swatch else f"  {word}"
        if display_width(text) + display_width(piece) > width and text != indent:
            lines.append(GanttLine(text, tuple(spans)))
            text, spans = indent, []
        if style:
            spans.append(Span(display_width(text) + 2, display_width(text) + 3, style))
        text += piece
    lines.append(GanttLine(text, tuple(spans)))
    return [GanttLine(truncate(line.text, width) + " " * max(0, width - display_width(line.text)),
                      tuple(s for s in line.spans if s.end <= width)) for line in lines]
