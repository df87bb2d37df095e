"""Parse the values of real exports: money, quantities, timestamps, dates, ids, contacts.

Each parser takes stripped text and returns a value or raises ValueError with a short
reason; callers turn that into a reject naming the row and field.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# ISO 4217 currencies whose minor unit is not 1/100.
MINOR_DIGITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY", "￥": "CNY", "元": "CNY", "₹": "INR",
           "R$": "BRL", "zł": "PLN", "₩": "KRW", "₫": "VND"}
_MONEY_NOISE = re.compile(r"[^\d,.\-]")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_CURRENCY_WORD = re.compile(r"[A-Za-z]{2,3}")      # a code or symbol beside an amount: USD, kr, zł, R$
_STRAY_LETTER = re.compile(r"[^\W\d_]")
EXCEL_NUMBER_ID = re.compile(r"^-?\d+(?:[.,]\d+)?[eE]\+?\d+$")


def minor_digits(currency: str | None) -> int:
    return MINOR_DIGITS.get((currency or "").upper(), 2)


def parse_decimal(text: str, decimal_comma: bool | None = None) -> Decimal:
    """`1,149.00`, `($33.62)`, `-$12.00`, `15,00€`, `1.234,56`, `3.0` → Decimal."""
    if _PLAIN_NUMBER.fullmatch(text):
        return _bounded(Decimal(text), text)
    raw = text
    negative = False
    text = text.strip().replace("\u00a0", "").replace(" ", "").replace("\t", "")
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("-"):
        negative, text = True, text[:-1]
    if _STRAY_LETTER.search(_CURRENCY_WORD.sub("", _without_symbols(text))):
        raise ValueError(f"'{raw}' is not a number")      # `1e3`, `12 EURO`: never guess what was meant
    text = _MONEY_NOISE.sub("", text)
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    if not text or text.count("-"):
        raise ValueError(f"'{raw}' is not a number")
    text = _normalise_separators(text, decimal_comma)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{raw}' is not a number") from None
    return _bounded(-value if negative else value, raw)


# Beyond any quantity or amount; SQLite's integers (amounts in minor units) end near 9.2e18.
NUMBER_LIMIT = Decimal(10) ** 15


def _bounded(value: Decimal, raw: str) -> Decimal:
    if abs(value) >= NUMBER_LIMIT:
        raise ValueError(f"'{raw}' is too large a number (at most 15 digits before the point)")
    return value


def _without_symbols(text: str) -> str:
    for symbol in sorted(SYMBOLS, key=len, reverse=True):     # R$ before $
        text = text.replace(symbol, "")
    return text


def _normalise_separators(text: str, decimal_comma: bool | None) -> str:
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    if "," in text:
        if decimal_comma is None:
            decimal_comma = not re.search(r",\d{3}$", text) or text.count(",") == 0
        if decimal_comma and text.count(",") == 1:
            return text.replace(",", ".")
        return text.replace(",", "")
    if decimal_comma and text.count(".") >= 1 and re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        return text.replace(".", "")
    return text


def currency_symbol(text: str) -> str | None:
    """The currency a money text names by its symbol, if any (`$8.00` → USD)."""
    for symbol in sorted(SYMBOLS, key=len, reverse=True):
        if symbol in text:
            return SYMBOLS[symbol]
    return None


def to_minor(amount: Decimal, currency: str | None) -> int:
    """Decimal amount → integer minor units of `currency` (half away from zero)."""
    scaled = amount.scaleb(minor_digits(currency))
    return int(scaled.quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def from_minor(minor: int, currency: str | None) -> str:
    """Integer minor units → the plain decimal text (`1234.50`, `1200` for JPY); exact."""
    return str(Decimal(minor).scaleb(-minor_digits(currency)))


def quantity_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def parse_quantity(text: str) -> float | int:
    """`1`, `1.0`, `-1.0`, `3\t` → a number; whole numbers come back as int."""
    if text.isdigit() and len(text) <= 15:
        return int(text)
    value = parse_decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def check_id(text: str, what: str) -> str:
    """IDs and SKUs stay text; one that Excel turned into `1.23457E+18` is refused."""
    if EXCEL_NUMBER_ID.match(text):
        raise ValueError(
            f"{what} '{text}' was turned into a number by Excel (scientific notation) and the "
            "original digits are lost; export the file again without opening it in Excel"
        )
    return text


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(WINDOWS_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError, OSError):     # OSError: 'America' is a folder, a name too long
        raise ValueError(f"unknown time zone '{name}'") from None


_LOOKS_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?$")
_SHAPES = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "hh", "%M": "mm", "%S": "ss", "%z": "+hhmm", "%b": "Mon",
           "%y": "YY", "%I": "hh", "%p": "AM/PM", "%f": "ffffff", "%Z": "zone", "%B": "Month", "%a": "Day"}


def _shape(fmt: str) -> str:
    """`%Y-%m-%d %H:%M` → `YYYY-MM-DD hh:mm`, for messages a person reads."""
    return re.sub(r"%\w", lambda m: _SHAPES.get(m.group(0), m.group(0)), fmt)


class DateParser:
    """Parses one field's timestamps with a list of formats, caching repeated texts.

    Returns (utc_iso or None, local_date_iso): an instant becomes UTC; a text that has a
    date only stays a date (no instant is invented for it).
    """

    def __init__(self, formats: list[str], tz: str, months: dict[str, int] | None = None,
                 pattern: str | None = None, company_zone=None):
        self.formats = formats
        self.company_zone = company_zone
        self.tz = zone(tz)
        self.months = {k.casefold(): v for k, v in (months or {}).items()}
        self.pattern = re.compile(pattern) if pattern else None
        self._cache: dict[str, tuple[str | None, str]] = {}

    def __call__(self, text: str, tz_name: str | None = None) -> tuple[str | None, str]:
        return self.full(text, tz_name)[:2]

    def full(self, text: str, tz_name: str | None = None) -> tuple[str | None, str, str]:
        """(utc_iso or None, local date, date in the company zone) — one parse, cached."""
        key = text if tz_name is None else f"{text}\x00{tz_name}"
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) > 20_000:
                self._cache.clear()
            hit = self._cache[key] = self._parse(text, zone(tz_name) if tz_name else self.tz)
        return hit

    def _parse(self, text: str, tz: ZoneInfo) -> tuple[str | None, str, str]:
        value = self._by_pattern(text) if self.pattern else None
        if value is None:
            value = _iso(text) or self._by_formats(text)
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=tz)
            utc = value.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
            company = value.astimezone(self.company_zone).date().isoformat() if self.company_zone else None
            return utc.isoformat() + "Z", value.date().isoformat(), company
        day = value.isoformat()
        return None, day, day

    def _by_formats(self, text: str) -> datetime | date:
        for fmt in self.formats:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return parsed if _has_time(fmt) else parsed.date()
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            if _LOOKS_ISO.match(text):
                raise ValueError(f"'{text}' is not a real date (check the day and month)") from None
            shapes = ", ".join(dict.fromkeys(_shape(f) for f in self.formats)) or "YYYY-MM-DD"
            raise ValueError(f"'{text}' is not a date in a layout this file uses ({shapes})") from None


    def _by_pattern(self, text: str) -> datetime | None:
        """Localised texts like `1. Dez. 2025, 12:32 Uhr CET(UTC+1)` via named groups."""
        match = self.pattern.search(text)
        if not match:
            return None
        parts = match.groupdict()
        month = parts.get("month") or ""
        month_no = int(month) if month.isdigit() else self.months.get(month.casefold().rstrip("."))
        if month_no is None:
            raise ValueError(f"'{text}' names an unknown month '{month}'")
        value = datetime(int(parts["year"]), month_no, int(parts["day"]),
                         int(parts.get("hour") or 0), int(parts.get("minute") or 0),
                         int(parts.get("second") or 0))
        if parts.get("offset"):
            hours, _, minutes = parts["offset"].partition(":")
            delta = timedelta(hours=int(hours), minutes=int(minutes or 0) * (1 if int(hours) >= 0 else -1))
            value = value.replace(tzinfo=timezone(delta))
        return value


def _iso(text: str) -> datetime | date | None:
    """ISO-8601 texts (`2025-05-11 09:55:16 -0400`, `2025-04-26T10:44:00+00:00`) the fast way."""
    if len(text) < 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _has_time(fmt: str) -> bool:
    return any(token in fmt for token in ("%H", "%I", "%M", "%S"))


@lru_cache(maxsize=65536)
def email_key(text: str | None) -> str | None:
    text = (text or "").strip().lower()
    return text if "@" in text else None


@lru_cache(maxsize=65536)
def phone_key(text: str | None) -> str | None:
    """Digits of the national number: spaces, dashes and a country code do not matter."""
    digits = re.sub(r"\D", "", text or "")
    national = digits[-10:] if len(digits) > 10 else digits.lstrip("0")
    return national if len(national) >= 6 else None


# Windows / Rails zone names as Square and others print them → IANA.
WINDOWS_ZONES = {
    "Eastern Time (US & Canada)": "America/New_York",
    "Central Time (US & Canada)": "America/Chicago",
    "Mountain Time (US & Canada)": "America/Denver",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Alaska": "America/Juneau",
    "Hawaii": "Pacific/Honolulu",
    "Arizona": "America/Phoenix",
    "Atlantic Time (Canada)": "America/Halifax",
    "Newfoundland": "America/St_Johns",
    "London": "Europe/London",
    "Dublin": "Europe/Dublin",
    "Edinburgh": "Europe/London",
    "Lisbon": "Europe/Lisbon",
    "Paris": "Europe/Paris",
    "Berlin": "Europe/Berlin",
    "Amsterdam": "Europe/Amsterdam",
    "Madrid": "Europe/Madrid",
    "Rome": "Europe/Rome",
    "Stockholm": "Europe/Stockholm",
    "Vienna": "Europe/Vienna",
    "Warsaw": "Europe/Warsaw",
    "Athens": "Europe/Athens",
    "Moscow": "Europe/Moscow",
    "Beijing": "Asia/Shanghai",
    "Hong Kong": "Asia/Hong_Kong",
    "Taipei": "Asia/Taipei",
    "Singapore": "Asia/Singapore",
    "Tokyo": "Asia/Tokyo",
    "Seoul": "Asia/Seoul",
    "Mumbai": "Asia/Kolkata",
    "New Delhi": "Asia/Kolkata",
    "Sydney": "Australia/Sydney",
    "Melbourne": "Australia/Melbourne",
    "Brisbane": "Australia/Brisbane",
    "Perth": "Australia/Perth",
    "Auckland": "Pacific/Auckland",
    "UTC": "UTC",
    "CET": "Europe/Berlin",
}
