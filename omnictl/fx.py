"""Exchange rates: import them (date, currency, rate to base) and convert money with them.

A rate is base-currency units for one unit of `currency` on a date, kept as decimal text
and applied with Decimal. An amount is converted at the rate of its date, else at the latest
earlier one no older than `fx.max_age_days`; without one the answer is None with a warning
naming currency and date, never a silent 1.0.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from omnictl import clock, settings
from omnictl import values as V
from omnictl.db import Database
from omnictl.errors import UsageError
from omnictl.batches import DryRun, finish_batch
from omnictl.master import Col, bind_columns
from omnictl.models import FxImportResult, FxRate, RejectInfo
from omnictl.tabular import open_table

COLUMNS = [
    Col("date", ("on_date", "on date", "rate date", "day", "日期"), required=True),
    Col("currency", ("ccy", "currency code", "code", "币种", "货币"), required=True),
    Col("rate", ("rate_to_base", "rate to base", "exchange rate", "fx rate", "汇率"), required=True),
]
DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y", "%Y%m%d", "%Y年%m月%d日",
                "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S"]
NO_BASE = ("the company currency is not set, so rates have no base; set it first with "
           "`omnictl config set company.currency EUR` (your currency's code)")


class RowFault(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field


def base_currency(db: Database) -> str | None:
    return settings.get(db, "company.currency")


def import_rates(db: Database, path: str | Path, *, dry_run: bool = False, strict: bool = False,
                 actor: str = "unknown") -> FxImportResult:
    """One file of rates is one batch: bad rows are rejects, good rows are upserted."""
    base = base_currency(db)
    if base is None:
        raise UsageError(NO_BASE)
    table = open_table(path)
    bound = bind_columns("exchange rates", table, COLUMNS)
    result = FxImportResult(file=str(path), batch=None, base_currency=base, dry_run=dry_run)
    previous = db.scalar("SELECT id FROM import_batch WHERE kind = 'fx' AND sha256 = ? AND undone_at IS NULL "
                         "ORDER BY id DESC LIMIT 1", (table.sha256,))
    if previous is not None:
        result.already_imported_as = previous
        return result
    dates = V.DateParser(DATE_FORMATS, "UTC")
    try:
        with db.write():
            batch = db.execute(
                "INSERT INTO import_batch (kind, file_name, sha256, actor, started_at) VALUES ('fx', ?, ?, ?, ?)",
                (table.name, table.sha256, actor, clock.utc_now_iso())).lastrowid
            result.batch = batch
            for row_no, values in table.data_rows():
                result.rows_read += 1
                try:
                    currency, on_date, rate = _parse_row(bound, values, table, dates, base)
                except RowFault as fault:
                    column = table.raw_header[bound[fault.field]].strip()
                    result.rejects.append(RejectInfo(row=row_no, field=fault.field,
                                                     reason=f"row {row_no}, column '{column}': {fault}",
                                                     raw=table.raw_text(values)))
                    continue
                _upsert(db, currency, on_date, rate, batch, result)
            finish_batch(db, batch, path, result, strict, dry_run)
    except DryRun:
        result.batch = None
    return result


def _parse_row(bound: dict[str, int], values: list[str], table, dates: V.DateParser,
               base: str) -> tuple[str, str, Decimal]:
    def cell(name: str) -> str:
        ix = bound[name]
        text = values[ix].strip() if ix < len(values) else ""
        if not text:
            raise RowFault(name, "is empty")
        return text

    text = cell("date")
    try:
        on_date = dates(text)[1]
    except ValueError:
        raise RowFault("date", f"'{text}' is not a date (YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY or YYYYMMDD)") from None
    code = cell("currency")
    currency = code.upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise RowFault("currency", f"'{code}' is not a three-letter currency code such as USD")
    text = cell("rate")
    try:
        rate = V.parse_decimal(text)
    except ValueError:
        rate = None
    if rate is None or not rate.is_finite() or rate <= 0:
        raise RowFault("rate", f"'{text}' is not a positive decimal number")
    if currency == base and rate != 1:
        raise RowFault("rate", f"{currency} is the company currency, so its rate is 1, not '{text}'")
    return currency, on_date, rate


def _upsert(db: Database, currency: str, on_date: str, rate: Decimal, batch: int, result: FxImportResult) -> None:
    text = format(rate, "f")
    base = result.base_currency
    old = db.scalar("SELECT rate FROM fx_rate WHERE base = ? AND currency = ? AND on_date = ?",
                    (base, currency, on_date))
    if old is not None and Decimal(old) == rate:
        result.unchanged += 1
        return
    db.execute("INSERT INTO fx_rate (base, currency, on_date, rate, batch_id) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT (base, currency, on_date) DO UPDATE SET rate = excluded.rate, "
               "batch_id = excluded.batch_id", (base, currency, on_date, text, batch))
    if old is None:
        result.created += 1
    else:
        result.updated += 1


def list_rates(db: Database, currency: str | None = None, since: str | None = None) -> list[FxRate]:
    """Stored rates by currency and date, optionally one currency and from a date on."""
    base = base_currency(db)
    sql, params = "SELECT currency, on_date, rate, batch_id FROM fx_rate WHERE base = ?", [base]
    if currency:
        sql += " AND currency = ?"
        params.append(currency.strip().upper())
    if since:
        sql += " AND on_date >= ?"
        params.append(_iso_date(since, "--from"))
    return [FxRate(currency=r["currency"], on_date=r["on_date"], rate=r["rate"], base_currency=base,
                   batch=r["batch_id"])
            for r in db.query(sql + " ORDER BY currency, on_date", params)]


def _iso_date(text: str | date, what: str) -> str:
    if isinstance(text, date):
        return text.isoformat()
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise UsageError(f"{what}: '{text}' is not a date (expected YYYY-MM-DD)") from None


class Converter:
    """Converts amounts to the base currency at each date's rate, caching lookups.

    Made once per job (`rates_for(db)`); it reads each currency's rates once.
    """

    def __init__(self, db: Database):
        self.db = db
        self.base = base_currency(db)
        self.max_age = timedelta(days=settings.get(db, "fx.max_age_days"))
        self._series: dict[str, tuple[list[str], list[str]]] = {}
        self._cache: dict[tuple[str, str], tuple[Decimal | None, str | None]] = {}

    def _load(self, currency: str) -> tuple[list[str], list[str]]:
        series = self._series.get(currency)
        if series is None:
            rows = self.db.query("SELECT on_date, rate FROM fx_rate WHERE base = ? AND currency = ? ORDER BY on_date",
                                 (self.base, currency))
            series = self._series[currency] = ([r["on_date"] for r in rows], [r["rate"] for r in rows])
        return series

    def rate(self, currency: str | None, on_date: str | date) -> tuple[Decimal | None, str | None]:
        """(base units per unit of `currency` on that date, None) or (None, the warning)."""
        day = _iso_date(on_date, "date")
        code = (currency or "").strip().upper()
        key = (code, day)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._lookup(code, day)
        return hit

    def _lookup(self, currency: str, day: str) -> tuple[Decimal | None, str | None]:
        if self.base is None:
            return None, NO_BASE
        if not currency:
            return None, f"an amount on {day} has no currency, so it cannot be converted to {self.base}"
        if currency == self.base:
            return Decimal(1), None
        dates, rates = self._load(currency)
        at = bisect_right(dates, day) - 1
        if at >= 0 and date.fromisoformat(dates[at]) >= date.fromisoformat(day) - self.max_age:
            return Decimal(rates[at]), None
        days = self.max_age.days
        window = f"on {day}" if days == 0 else f"on or within {days} day{'s' if days != 1 else ''} before {day}"
        return None, f"no {currency} rate {window}; import one with `omnictl fx import`"

    def to_base(self, amount_minor: int | None, currency: str | None,
                on_date: str | date) -> tuple[int | None, str | None]:
        """(amount in base minor units, None), or (None, a warning naming currency and date)."""
        if amount_minor is None:
            return None, None
        rate, warning = self.rate(currency, on_date)
        if rate is None:
            return None, warning
        if rate == 1 and (currency or "").upper() == self.base:
            return amount_minor, None
        amount = Decimal(amount_minor).scaleb(-V.minor_digits(currency))
        return V.to_minor(amount * rate, self.base), None


def rates_for(db: Database) -> Converter:
    return Converter(db)
