"""Working time of a calendar: shifts per weekday, night shifts, holidays, downtime."""

from __future__ import annotations

from datetime import datetime, timezone

from omnictl import clock
from omnictl.planning.calendars import as_minutes, working_intervals, working_minutes


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def setup(db):
    clock.set_zone("Asia/Shanghai")
    db.execute("INSERT INTO calendar VALUES ('day', 'Day shift')")
    for weekday in range(5):                                   # Mon-Fri 08:00-17:00
        db.execute("INSERT INTO calendar_shift VALUES ('day', ?, '08:00', '17:00')", (weekday,))
    db.execute("INSERT INTO calendar_shift VALUES ('day', 5, '08:00', '12:00')")     # Saturday morning
    db.execute("INSERT INTO calendar_shift VALUES ('day', 4, '22:00', '06:00')")     # Friday night shift


def test_a_week_of_shifts_in_company_time(db):
    setup(db)
    # Mon 2026-11-23 00:00 to Mon 2026-11-30 00:00, Shanghai (UTC+8)
    week = working_intervals(db, "day", utc("2026-11-22T16:00"), utc("2026-11-29T16:00"))
    assert working_minutes(week) == (5 * 9 + 4 + 8) * 60
    assert week[0] == (utc("2026-11-23T00:00"), utc("2026-11-23T09:00"))         # 08:00-17:00 local
    assert (utc("2026-11-27T14:00"), utc("2026-11-27T22:00")) in week            # Fri night into Sat 06:00


def test_holiday_and_downtime(db):
    setup(db)
    db.execute("INSERT INTO calendar_exception VALUES ('day', '2026-11-25', '2026-11-25', NULL, 'holiday')")
    db.execute("INSERT INTO calendar_exception VALUES ('day', '2026-11-24T10:00', '2026-11-24T12:00', 'LATHE', "
               "'maintenance')")
    week = working_intervals(db, "day", utc("2026-11-22T16:00"), utc("2026-11-29T16:00"))
    assert working_minutes(week) == (4 * 9 + 4 + 8) * 60                       # Wednesday off
    lathe = working_intervals(db, "day", utc("2026-11-22T16:00"), utc("2026-11-29T16:00"), work_center="LATHE")
    assert working_minutes(lathe) == working_minutes(week) - 120
    assert as_minutes(lathe, utc("2026-11-23T00:00"))[:2] == [(0, 540), (1440, 1560)]
