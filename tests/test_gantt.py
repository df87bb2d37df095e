"""The Gantt renderer: exact text in ASCII, display-width alignment, ticks, stacking, clipping."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from omnictl.errors import UsageError
from omnictl.planning.gantt import (
    GanttBar,
    GanttRow,
    Span,
    choose_tick_step,
    display_width,
    render_gantt,
    truncate,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*parts):
    return datetime(*parts, tzinfo=SHANGHAI)


WINDOW = (at(2026, 11, 25), at(2026, 11, 28))
TODAY = at(2026, 11, 25, 12)


def draw(rows, width=80, window=WINDOW, today=TODAY, ascii=True, zone=SHANGHAI):
    return render_gantt(rows, *window, width=width, today=today, zone=zone, ascii=ascii)


def texts(lines):
    return [line.text for line in lines]


def two_work_centers():
    return [
        GanttRow("WC-CUT", [
            GanttBar(at(2026, 11, 25, 8), at(2026, 11, 25, 20), "MO-1"),
            GanttBar(at(2026, 11, 26, 6), at(2026, 11, 26, 22), "MO-2", late=True, due=at(2026, 11, 26, 12)),
        ]),
        GanttRow("WC-WELD", [
            GanttBar(at(2026, 11, 26, 0), at(2026, 11, 27, 6), "MO-3", bottleneck=True),
        ]),
    ]


def test_small_ascii_chart_exact_text():
    # 72 chart cells for 3 days: one cell per hour, so ticks every 4 hours fit.
    expected = [
        "        11-25 Wed               11-26 Thu               11-27 Fri",
        "        00  04  08  12  16  20  00  04  08  12  16  20  00  04  08  12  16  20",
        "        +---+---+---|---+---+---+---+---+---+---+---+---+---+---+---+---+---+---",
        "WC-CUT          #MO-1#######          !MO-2!v!!!!!!!!!",
        "WC-WELD             |           =MO-3=========================",
        "Legend:  # planned  = bottleneck  ! late  % frozen  | today  v due",
        "         times in Asia/Shanghai",
    ]
    lines = draw(two_work_centers())
    assert texts(lines) == [line.ljust(80) for line in expected]
    # Spans are in cells: the late bar around its due marker, the bottleneck, the today column.
    assert lines[3].spans == (Span(0, 6, "label"), Span(16, 28, "bar"), Span(38, 44, "late"),
                              Span(44, 45, "due"), Span(45, 54, "late"))
    assert lines[4].spans == (Span(0, 7, "label"), Span(20, 21, "today"), Span(32, 62, "bottleneck"))
    assert Span(20, 21, "today") in lines[2].spans


def test_same_input_same_output_whatever_the_bar_order():
    rows = two_work_centers()
    shuffled = [GanttRow(row.label, list(reversed(row.bars))) for row in rows]
    assert texts(draw(rows)) == texts(draw(shuffled)) == texts(draw(rows))


def test_plain_tuples_are_accepted():
    rows = [("WC-CUT", [(at(2026, 11, 25, 8), at(2026, 11, 25, 20), "MO-1")])]
    assert texts(draw(rows))[3].rstrip() == "WC-CUT         #MO-1#######"


def test_colour_mode_paints_blank_cells_and_keeps_markers():
    lines = draw(two_work_centers(), ascii=False)
    assert lines[3].text.rstrip() == "WC-CUT           MO-1                  MO-2 v"
    assert lines[3].spans[1:3] == (Span(16, 28, "bar"), Span(38, 44, "late"))
    assert lines[5].text.rstrip() == "Legend:    planned    bottleneck    late    frozen  | today  v due"
    assert lines[5].spans[:2] == (Span(9, 10, "bar"), Span(20, 21, "bottleneck"))


def test_frozen_and_priority_of_flags():
    rows = [GanttRow("M1", [
        GanttBar(at(2026, 11, 25, 0), at(2026, 11, 25, 6), "", frozen=True),
        GanttBar(at(2026, 11, 25, 6), at(2026, 11, 25, 12), "", frozen=True, bottleneck=True),
        GanttBar(at(2026, 11, 25, 12), at(2026, 11, 25, 18), "", frozen=True, bottleneck=True, late=True),
    ])]
    line = draw(rows, window=(at(2026, 11, 25), at(2026, 11, 26)), width=27)[3]
    assert line.text == "M1 " + "%" * 6 + "=" * 6 + "!" * 6 + "      "


def test_cjk_labels_align_by_display_width():
    rows = [
        GanttRow("切割中心", [GanttBar(at(2026, 11, 25, 8), at(2026, 11, 26, 8), "订单一")]),
        GanttRow("装配线一号工位很长的名字和更多的字", [GanttBar(at(2026, 11, 26, 8), at(2026, 11, 27, 8), "MO-7")]),
        GanttRow("Cafe\u0301 x\u0301", []),                      # combining marks take no cell
    ]
    for ascii in (True, False):
        lines = draw(rows, width=60, ascii=ascii)
        assert [display_width(line.text) for line in lines] == [60] * len(lines)
        # label column: a third of 60 = 20 cells; the long name is cut to 9 wide characters + ellipsis
        assert lines[4].text.startswith("装配线一号工位很长" + ("~" if ascii else "…") + " " * 8)
        assert lines[5].text.startswith("Café x\u0301" + " " * 15)
        # 39 chart cells, 13 a day: the bar from 11-25 08:00 starts at chart cell 4
        assert lines[3].text.startswith("切割中心" + " " * 13 + " " * 4 + ("#" if ascii else " ") + "订单一")
    styled = draw(rows, width=60, ascii=False)[3]
    assert styled.spans == (Span(0, 8, "label"), Span(25, 38, "bar"))
    # in characters: 4 label characters, 17 spaces, then 13 cells = " 订单一" and 6 spaces
    assert styled.char_spans() == [Span(0, 4, "label"), Span(21, 31, "bar")]


def test_display_width_and_truncate():
    assert display_width("订单A") == 5
    assert display_width("e\u0301") == 1
    assert display_width("ＡＢ") == 4                            # full-width forms
    assert truncate("装配线一号", 6) == "装配…"
    assert truncate("装配线一号", 10) == "装配线一号"
    assert truncate("MO-1234", 5, "~") == "MO-1~"


@pytest.mark.parametrize(("width", "step", "labels"), [
    # 32 chart cells for 3 days (10.7 a day): day ticks only, no hour line
    (40, timedelta(days=1), ["11-25 Wed 11-26 Thu  11-27 Fri", "+----|----+----------+----------"]),
    # 72 cells (24 a day): every 4 hours
    (80, timedelta(hours=4), ["11-25 Wed               11-26 Thu               11-27 Fri",
                              "00  04  08  12  16  20  00  04  08  12  16  20  00  04  08  12  16  20"]),
])
def test_tick_step_adapts_to_width(width, step, labels):
    lines = draw(two_work_centers(), width=width)
    assert choose_tick_step(*WINDOW, width - 8) == step
    assert [line.text[8:].rstrip() for line in lines[:2]] == labels


def test_tick_step_at_160_columns_is_two_hours():
    lines = draw(two_work_centers(), width=160)                  # 152 cells, 50.7 a day
    assert choose_tick_step(*WINDOW, 152) == timedelta(hours=2)
    assert lines[1].text.split() == [f"{h:02d}" for h in range(0, 24, 2)] * 3
    assert lines[0].text.split() == ["11-25", "Wed", "11-26", "Thu", "11-27", "Fri"]
    assert lines[2].text.count("+") == 35 and lines[2].text.count("|") == 1    # today on one tick


def test_tick_steps_for_long_and_short_windows():
    week = (at(2026, 11, 25), at(2026, 12, 2))
    steps = {cells: choose_tick_step(*week, cells) for cells in (7 * 5, 7 * 10, 7 * 12, 7 * 16, 7 * 24,
                                                                   7 * 48, 7 * 96)}
    assert steps == {35: timedelta(days=2), 70: timedelta(days=1), 84: timedelta(hours=12),
                     112: timedelta(hours=6), 168: timedelta(hours=4), 336: timedelta(hours=2),
                     672: timedelta(hours=1)}
    assert choose_tick_step(*week, 34) == timedelta(days=7)      # nothing fits: weeks, labels thinned
    assert choose_tick_step(at(2026, 11, 1), at(2026, 12, 31), 72) == timedelta(days=7)
    # a 14-day window in 150 cells: day ticks, one date label per day
    lines = draw([GanttRow("X", [GanttBar(at(2026, 11, 25), at(2026, 11, 26))])],
                 window=(at(2026, 11, 23), at(2026, 12, 7)), width=152)
    assert lines[0].text.split()[:4] == ["11-23", "Mon", "11-24", "Tue"]
    assert lines[1].text.count("+") == 14
    # two-day ticks on even ordinals only (11-24, 11-26, ...), whatever the weekday
    lines = draw([GanttRow("X", [GanttBar(at(2026, 11, 25), at(2026, 11, 26))])],
                 window=(at(2026, 11, 23), at(2026, 12, 7)), width=80)
    assert choose_tick_step(at(2026, 11, 23), at(2026, 12, 7), 78) == timedelta(days=2)
    # 12-06 is a tick on the rule, but its label would run past the right edge: left out
    assert lines[0].text.split()[::2] == ["11-24", "11-26", "11-28", "11-30", "12-02", "12-04"]
    assert lines[1].text == "  -----+-------|--+----------+-----------+----------+----------+----------+-----"
    # weekly ticks fall on Mondays
    lines = draw([GanttRow("X", [GanttBar(at(2026, 11, 1), at(2026, 12, 2))])],
                 window=(at(2026, 9, 1), at(2026, 12, 1)))
    assert lines[0].text.split()[::2] == ["09-07", "09-21", "10-05", "10-19", "11-02", "11-16"]
    assert set(lines[0].text.split()[1::2]) == {"Mon"}


def test_day_ticks_follow_local_midnight_across_a_dst_change():
    new_york = ZoneInfo("America/New_York")                     # clocks go back on 2026-11-01
    start = datetime(2026, 10, 31, tzinfo=new_york)
    end = datetime(2026, 11, 3, tzinfo=new_york)
    rows = [GanttRow("X", [GanttBar(start, end)])]
    lines = render_gantt(rows, start, end, width=74, today=start, zone=new_york, ascii=True)
    # 73 hours in 72 cells: local midnights at cells 0, 23 (24 h) and 48 (49 h: 11-01 lasts 25 h)
    assert lines[0].text == "  10-31 Sat              11-01 Sun                11-02 Mon               "
    assert lines[1].text == "  00   06    12    18    00     06    12    18    00    06    12    18    "
    assert lines[2].spans[0] == Span(2, 3, "today")


def test_overlapping_bars_stack_onto_sub_rows():
    rows = [GanttRow("PRESS", [
        GanttBar(at(2026, 11, 25, 0), at(2026, 11, 25, 10), "A"),
        GanttBar(at(2026, 11, 25, 5), at(2026, 11, 25, 15), "B"),
        GanttBar(at(2026, 11, 25, 10), at(2026, 11, 25, 20), "C"),     # fits after A on the first sub-row
    ]), GanttRow("OVEN", [GanttBar(at(2026, 11, 25, 1), at(2026, 11, 25, 2), "D")])]
    lines = draw(rows, window=(at(2026, 11, 25), at(2026, 11, 26)), width=54)   # 48 cells: 2 per hour
    assert [line.text.rstrip() for line in lines[3:6]] == [
        "PRESS #A###################C##################",          # A then C: one unit
        "                #B##################",                     # B overlaps both: second unit
        "OVEN    D#                    |",
    ]
    assert lines[3].spans == (Span(0, 5, "label"), Span(6, 46, "bar"))
    assert lines[4].spans == (Span(16, 36, "bar"),)                 # no label on a sub-row


def test_bars_outside_the_window_are_clipped():
    rows = [GanttRow("PRESS", [
        GanttBar(at(2026, 11, 24), at(2026, 11, 25, 10), "EARLY"),       # starts before the window
        GanttBar(at(2026, 11, 29), at(2026, 11, 30), "AFTER"),           # wholly after: not drawn
        GanttBar(at(2026, 11, 27, 12), at(2026, 11, 29), "LATE-END"),    # runs past the end
        GanttBar(at(2026, 11, 26, 3), at(2026, 11, 26, 3, 10), "TINY"),  # 10 minutes: still one cell
    ])]
    lines = draw(rows)
    assert lines[3].text == "PRESS #EARLY####  |              #                                  #LATE-END###"
    assert "AFTER" not in "".join(texts(lines))
    assert lines[3].spans[-1] == Span(68, 80, "bar")


def test_due_marker_in_a_gap_and_today_outside_the_window():
    rows = [GanttRow("O-1", [GanttBar(at(2026, 11, 25, 6), at(2026, 11, 25, 9), "",
                                     due=at(2026, 11, 25, 18))])]
    lines = draw(rows, window=(at(2026, 11, 25), at(2026, 11, 26)), width=28, today=at(2026, 12, 1))
    assert lines[3].text == "O-1       ###         v     "
    assert "|" not in lines[2].text


def test_empty_input_says_so():
    assert texts(draw([])) == [
        "Nothing planned between 2026-11-25 00:00 and 2026-11-28 00:00 (Asia/Shanghai)."]
    outside = [GanttRow("X", [GanttBar(at(2026, 12, 1), at(2026, 12, 2), "MO-9"),
                              GanttBar(at(2026, 12, 3), at(2026, 12, 4), "MO-10")])]
    assert texts(draw(outside)) == [("Nothing planned between 2026-11-25 00:00 and 2026-11-28 00:00"
                                     " (Asia/Shanghai) (2 bars fall outside this window).")]


def test_bad_arguments():
    with pytest.raises(UsageError, match="at least 12 columns"):
        draw(two_work_centers(), width=11)
    with pytest.raises(UsageError, match="must end after it starts"):
        draw(two_work_centers(), window=(WINDOW[1], WINDOW[0]))
    with pytest.raises(ValueError, match="naive"):
        draw([GanttRow("X", [GanttBar(datetime(2026, 11, 25), datetime(2026, 11, 26))])])


def test_renderer_loads_no_ui_library():
    import subprocess
    import sys

    code = ("import sys, omnictl.planning.gantt\n"
            "print(','.join(m for m in ('typer', 'textual', 'rich', 'click', 'sqlite3') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_a_face_can_give_the_chart_its_own_words():
    from omnictl.planning.gantt import GanttWords, display_width

    words = GanttWords(legend="图例:", kinds=("已排产", "瓶颈", "延误", "已冻结", "今天", "交期"),
                       times_in="时间为 {zone}", weekdays=tuple("一二三四五六日"))
    lines = render_gantt(two_work_centers(), *WINDOW, width=80, today=TODAY, zone=SHANGHAI, words=words)
    text = texts(lines)
    assert "11-25 三" in text[0] and "Wed" not in text[0]
    legend = [line for line in text if line.startswith("图例:")]
    assert legend and "瓶颈" in legend[0] and "时间为 Asia/Shanghai" in " ".join(text)
    assert all(display_width(line.text) == 80 for line in lines)
