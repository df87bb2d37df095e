"""The one clock. Everything that asks "what is today / now" reads it here.

`--today DATE` on the command line or `$OMNICTL_TODAY` pins it (a date, or a date and
time in company local time), so tests, snapshots and the demo's story are reproducible.
The company timezone is set from the database's settings when it is opened.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from omnictl.errors import UsageError

PINNED_TIME_OF_DAY = time(12, 0)
_pinned: datetime | None = None
_zone = ZoneInfo("UTC")


def parse_pin(text: str) -> datetime:
    """`2026-11-25` (noon) or `2026-11-25T09:30`, read in company local time."""
    text = text.strip()
    try:
        if "T" in text or " " in text:
            return datetime.fromisoformat(text)
        return datetime.combine(date.fromisoformat(text), PINNED_TIME_OF_DAY)
    except ValueError:
        raise UsageError(f"'{text}' is not a date (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None


def pin(value: str | datetime | None) -> None:
    """Pin the clock for this process; None falls back to $OMNICTL_TODAY, then the real clock."""
    global _pinned
    _pinned = parse_pin(value) if isinstance(value, str) else value


def pinned() -> datetime | None:
    """The pinned time (from `pin` or $OMNICTL_TODAY) as given, or None when the clock is real."""
    if _pinned is not None:
        return _pinned
    if os.environ.get("OMNICTL_TODAY"):
        return parse_pin(os.environ["OMNICTL_TODAY"])
    return None


def set_zone(name: str) -> None:
    """The company timezone, in which pinned values are read and `today()` is taken."""
    global _zone
    _zone = ZoneInfo(name)


def zone() -> ZoneInfo:
    return _zone


def now() -> datetime:
    """The current instant, aware, in the company timezone."""
    pinned = _pinned
    if pinned is None and os.environ.get("OMNICTL_TODAY"):
        pinned = parse_pin(os.environ["OMNICTL_TODAY"])
    if pinned is None:
        return datetime.now(timezone.utc).astimezone(_zone)
    if pinned.tzinfo is None:
        pinned = pinned.replace(tzinfo=_zone)
    return pinned.astimezone(_zone)


def today() -> date:
    """Today's calendar date in the company timezone."""
    return now().date()


def local(utc_iso: str | None, fmt: str = "%m-%d %H:%M") -> str:
    """A stored UTC instant in company time, `11-25 12:41` by default; `-` when there is none."""
    if not utc_iso:
        return "-"
    if len(utc_iso) <= 10:                      # a date alone: no time to move
        return utc_iso
    return datetime.fromisoformat(utc_iso.replace("Z", "+00:00")).astimezone(_zone).strftime(fmt)


def utc_now_iso() -> str:
    """Now as UTC ISO-8601 to the second, for recorded-at stamps."""
    return now().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_utc_iso(value: datetime) -> str:
    """An aware datetime as omnictl stores instants: UTC, seconds, `Z`."""
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
