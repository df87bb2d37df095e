"""A planned order's start, estimated backwards through its work centers' working time.

`backward(work_center, latest_end, minutes)` places that much work so that it ends by
`latest_end`, in the latest working time of the work center before it (its calendar from
`planning.calendars`: shifts, holidays, its downtime), with infinite capacity: the estimate
`plan orders` stores until the scheduler places orders for real. A work center whose
calendar has no shifts counts as working 08:00–16:00 Monday to Friday.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, time, timedelta, timezone
from time import gmtime as _gmtime
from time import strftime as _strftime

from omnictl import clock
from omnictl.db import Database
from omnictl.errors import UsageError
from omnictl.planning.calendars import working_intervals

DEFAULT_SHIFT = (time(8), time(16))           # Monday to Friday, when a calendar has no shifts
WINDOW_DAYS = 120                             # working time is read in windows of this many days
SEARCH_DAYS = 3 * 366                         # nothing working in this many days: the calendar is empty


class WorkTime:
    """Working intervals per work center, read once per window and searched backwards.

    Instants here are POSIX seconds (floats): a plan places 100,000 orders, and float
    arithmetic is many times cheaper than aware datetimes."""

    def __init__(self, db: Database):
        self.db = db
        self.calendar_of = {r["code"]: r["calendar"] for r in db.query("SELECT code, calendar FROM work_center")}
        self.with_shifts = {r[0] for r in db.execute("SELECT DISTINCT calendar FROM calendar_shift")}
        self._spans: dict[str, tuple[float, float, list, list]] = {}     # from, to, interval ends, intervals
        self._placed: dict[tuple, tuple[float, float]] = {}

    def _read(self, work_center: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        calendar = self.calendar_of.get(work_center)
        if calendar in self.with_shifts:
            return working_intervals(self.db, calendar, start, end, work_center)
        zone, found = clock.zone(), []
        day = start.astimezone(zone).date()
        while day <= end.astimezone(zone).date():
            if day.weekday() < 5:
                a = max(datetime.combine(day, DEFAULT_SHIFT[0], tzinfo=zone), start)
                b = min(datetime.combine(day, DEFAULT_SHIFT[1], tzinfo=zone), end)
                if a < b:
                    found.append((a, b))
            day += timedelta(days=1)
        return found

    def _window(self, work_center: str, low: float, high: float) -> tuple[float, list, list]:
        cached = self._spans.get(work_center)
        if cached is None or low < cached[0] or high > cached[1]:
            start = min(low, cached[0]) if cached else low
            end = max(high, cached[1]) if cached else high
            intervals = [(a.timestamp(), b.timestamp()) for a, b in self._read(
                work_center, datetime.fromtimestamp(start, timezone.utc), datetime.fromtimestamp(end, timezone.utc))]
            cached = self._spans[work_center] = (start, end, [b for _, b in intervals], intervals)
        return cached[0], cached[2], cached[3]

    def backward(self, work_center: str, latest_end: float, minutes: float) -> tuple[float, float]:
        """(start, end) of `minutes` of work ending in the latest working time by `latest_end`
        (remembered: orders due the same day with the same quantity ask the same question)."""
        key = (work_center, latest_end, minutes)
        found = self._placed.get(key)
        if found is None:
            found = self._placed[key] = self._backward(work_center, latest_end, minutes)
        return found

    def _backward(self, work_center: str, latest_end: float, minutes: float) -> tuple[float, float]:
        if minutes <= 1e-9:
            return latest_end, latest_end
        seconds = minutes * 60
        low = latest_end - WINDOW_DAYS * DAY
        while True:
            cached = self._spans.get(work_center)
            if cached is not None and cached[0] <= low and latest_end <= cached[1]:
                start_of_window, _, ends, intervals = cached
            else:
                start_of_window, ends, intervals = self._window(work_center, low, latest_end + WINDOW_DAYS * DAY)
            remaining, end, limit = seconds, None, latest_end
            for index in range(min(bisect_left(ends, latest_end), len(intervals) - 1), -1, -1):
                a, b = intervals[index]
                if b > limit:
                    b = limit
                if b <= a:
                    continue
                if end is None:
                    end = b
                if remaining <= b - a + 1e-6:
                    return b - remaining, end
                remaining -= b - a
            if latest_end - start_of_window > SEARCH_DAYS * DAY:
                raise UsageError(f"work center {work_center} has too little working time in the {SEARCH_DAYS} "
                                 f"days before {local_date(latest_end)}; check its calendar's shifts and "
                                 "holidays (`omnictl master import calendars FILE`)")
            low = start_of_window - 2 * WINDOW_DAYS * DAY


DAY = 86400.0


class Days:
    """The local calendar day of an instant, by bisecting the local midnights around today
    (correct across daylight-saving changes, and cheap for 100,000 instants)."""

    def __init__(self, today: date, before: int = 400, after: int = 1200):
        zone = clock.zone()
        self.first = today - timedelta(days=before)
        self.days = [self.first + timedelta(days=i) for i in range(before + after)]
        self.midnights = [datetime.combine(day, time(0), tzinfo=zone).timestamp() for day in self.days]

    def of(self, instant: float) -> date:
        at = bisect_right(self.midnights, instant) - 1
        if 0 <= at < len(self.days) - 1:
            return self.days[at]
        return local_date(instant)


def end_of_day(day: date) -> float:
    """The end of a local day (its next midnight)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.zone()).timestamp()


def local_date(instant: float) -> date:
    return datetime.fromtimestamp(instant, clock.zone()).date()


_ISO: dict[float, str] = {}


def to_iso(instant: float) -> str:
    """An instant as stored: UTC to the second, `Z` (as `clock.to_utc_iso`)."""
    text = _ISO.get(instant)
    if text is None:
        if len(_ISO) > 200_000:
            _ISO.clear()
        text = _ISO[instant] = _strftime("%Y-%m-%dT%H:%M:%SZ", _gmtime(int(instant // 1)))
    return text


def from_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
