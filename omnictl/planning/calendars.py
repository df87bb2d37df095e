"""Working time of a calendar: its weekday shifts, minus holidays and planned downtime.

Shifts are local times in the company timezone; a shift whose end is before its start ends
the next day. A calendar exception removes working time from its start to its end: a bare
date means that whole day (so `starts = ends = 2026-12-04` is one day off); a date-time is
exact. An exception naming a work center is that work center's planned downtime only.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from omnictl import clock
from omnictl.db import Database

Interval = tuple[datetime, datetime]


def working_intervals(db: Database, calendar: str, start: datetime, end: datetime,
                      work_center: str | None = None) -> list[Interval]:
    """Working time of `calendar` between two aware instants, sorted and merged (UTC)."""
    zone = clock.zone()
    shifts: dict[int, list[tuple[time, time]]] = {}
    for row in db.query("SELECT weekday, starts, ends FROM calendar_shift WHERE calendar = ?", (calendar,)):
        shifts.setdefault(row["weekday"], []).append((time.fromisoformat(row["starts"]), time.fromisoformat(row["ends"])))
    intervals = []
    day = start.astimezone(zone).date() - timedelta(days=1)          # a night shift from the day before
    last = end.astimezone(zone).date()
    while day <= last:
        for begins, ends in shifts.get(day.weekday(), ()):
            opening = datetime.combine(day, begins, tzinfo=zone)
            closing = datetime.combine(day + timedelta(days=1) if ends <= begins else day, ends, tzinfo=zone)
            intervals.append((max(opening, start), min(closing, end)))
        day += timedelta(days=1)
    intervals = [(a, b) for a, b in intervals if a < b]
    for gap in _exceptions(db, calendar, work_center, zone):
        intervals = _subtract(intervals, gap)
    return _merge(intervals)


def _exceptions(db: Database, calendar: str, work_center: str | None, zone) -> list[Interval]:
    rows = db.query("SELECT starts, ends FROM calendar_exception WHERE calendar = ? AND "
                    "(work_center IS NULL OR work_center = ?)", (calendar, work_center))
    return [(_local(row["starts"], zone, end=False), _local(row["ends"], zone, end=True)) for row in rows]


def _local(text: str, zone, *, end: bool) -> datetime:
    if len(text) == 10:                                   # a date: the whole day
        day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
        return datetime.combine(day, time(0), tzinfo=zone)
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _subtract(intervals: list[Interval], gap: Interval) -> list[Interval]:
    out = []
    for a, b in intervals:
        if gap[1] <= a or gap[0] >= b:
            out.append((a, b))
            continue
        if a < gap[0]:
            out.append((a, gap[0]))
        if gap[1] < b:
            out.append((gap[1], b))
    return out


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def working_minutes(intervals: list[Interval]) -> float:
    return sum((b - a).total_seconds() for a, b in intervals) / 60


def as_minutes(intervals: list[Interval], origin: datetime) -> list[tuple[int, int]]:
    """Intervals as whole minutes from `origin` (the scheduling engine's time axis)."""
    return [(int((a - origin).total_seconds() // 60), int((b - origin).total_seconds() // 60)) for a, b in intervals]
