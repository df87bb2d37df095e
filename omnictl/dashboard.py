"""What needs attention today, in one read: the console's first screen binds this.

KPI tiles (on-time delivery, OEE, inventory turnover days) with their targets and the trend
of the stored close when there is one (else computed for yesterday by omnictl.kpi), the
status of the latest close, open exceptions by owner, the open T-3 exceptions, the orders past
their promised ship-by and not shipped, oversold and short SKUs, and the channels that send
daily files but have no import since yesterday ended.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel

from omnictl import clock
from omnictl.close import end_of_day_utc, latest_close_brief
from omnictl.db import Database
from omnictl.exceptions import ExceptionInfo, list_exceptions, open_counts
from omnictl.inventory import positions

TILES = ("on_time_delivery", "oee", "turnover_days")
TREND_FIELDS = {"on_time_delivery": "on_time_delivery_pct", "oee": "oee_pct", "turnover_days": "turnover_days"}
TREND_DAYS = 14
SHORT_SHOWN = 50
LATE_SHOWN = 20
T3_SHOWN = 20


class KpiTile(BaseModel):
    name: str
    value: float | None
    target: float | None
    unit: str
    status: str                        # ok, below target, outside band, n/a
    trend: list[float | None] = []     # oldest first, ending with the tile's day


class CloseStatus(BaseModel):
    date: str
    status: str
    ran_at: str
    actor: str
    checks: dict[str, str]             # check name → ok, warn or fail


class ShortSku(BaseModel):
    sku: str
    location: str
    atp: float
    safety_stock: float
    status: str                        # oversold or at risk


class LateOrder(BaseModel):
    channel: str
    order: str
    ship_by: str
    days: int                          # past the ship-by, today


class StaleChannel(BaseModel):
    code: str
    last_import: str | None            # UTC instant of its latest orders batch, None: never


class StockAndOrders(BaseModel):
    """The dashboard's lists that read the stock and the order book (the slower half)."""
    short: list[ShortSku] = []
    short_total: int = 0
    late: list[LateOrder] = []         # most days past the ship-by first
    late_total: int = 0
    stale: list[StaleChannel] = []


class Dashboard(StockAndOrders):
    today: str
    kpi_day: str                       # the day the tiles describe
    kpis: list[KpiTile]
    close: CloseStatus | None
    owners: dict[str, int]             # open exceptions by owner, most first
    t3: list[ExceptionInfo]            # the first T3_SHOWN open T-3 exceptions, oldest first
    t3_total: int = 0


def _tiles_from_close(kpis: dict) -> list[KpiTile]:
    trend = kpis.get("trend", [])[-TREND_DAYS:]
    tiles = []
    for name in TILES:
        figure = kpis.get(name) or {}
        tiles.append(KpiTile(name=name, value=figure.get("value"), target=figure.get("target"),
                             unit=figure.get("unit", ""), status=figure.get("status", "n/a"),
                             trend=[day.get(TREND_FIELDS[name]) for day in trend]))
    return tiles


def _tiles_computed(db: Database, day) -> list[KpiTile]:
    from omnictl.kpi import kpi_report, kpi_trend

    figures = {f.name: f for f in kpi_report(db, day, day).kpis}
    trend = kpi_trend(db, day, TREND_DAYS)
    return [KpiTile(name=name, value=figures[name].value, target=figures[name].target, unit=figures[name].unit,
                    status=figures[name].status, trend=[getattr(d, TREND_FIELDS[name]) for d in trend])
            for name in TILES if name in figures]


def stale_channels(db: Database, day) -> list[StaleChannel]:
    """Active channels that send daily files with no orders import after the end of `day`
    (the close's channels check, read without recording anything)."""
    end = end_of_day_utc(day)
    rows = db.query("SELECT c.code, (SELECT max(b.started_at) FROM import_batch b WHERE b.channel = c.code "
                    "AND b.kind = 'orders' AND b.undone_at IS NULL) AS last FROM channel c "
                    "WHERE c.active = 1 AND c.daily_files = 1 ORDER BY c.code")
    return [StaleChannel(code=r["code"], last_import=r["last"]) for r in rows if r["last"] is None or r["last"] < end]


def dashboard(db: Database) -> Dashboard:
    """Everything at once: `close_and_exceptions` and `stock_and_orders` together."""
    return close_and_exceptions(db).model_copy(update=dict(stock_and_orders(db)))


def close_and_exceptions(db: Database) -> Dashboard:
    """The quick half: KPI tiles, the last close, open exceptions by owner and the T-3 list;
    its stock and order lists are left empty (a face may read them beside it)."""
    today = clock.today()
    yesterday = today - timedelta(days=1)
    brief = latest_close_brief(db)
    if brief is not None:
        kpi_day, tiles = brief.date, _tiles_from_close(brief.kpis)
        close = CloseStatus(date=brief.date, status=brief.status, ran_at=brief.ran_at, actor=brief.actor,
                            checks=brief.checks)
    else:
        kpi_day, tiles, close = yesterday.isoformat(), _tiles_computed(db, yesterday), None
    owners, t3_total = open_counts(db)
    return Dashboard(today=today.isoformat(), kpi_day=kpi_day, kpis=tiles, close=close, owners=owners,
                     t3=list(list_exceptions(db, open_only=True, forced_only=True, limit=T3_SHOWN)), t3_total=t3_total)


def stock_and_orders(db: Database) -> StockAndOrders:
    """Oversold and short SKUs, orders past their ship-by, stale channels."""
    today = clock.today()
    short = [ShortSku(sku=p.sku, location=p.location, atp=p.atp, safety_stock=p.safety_stock, status=p.status)
             for p in positions(db, short=True)]
    short.sort(key=lambda s: (s.status != "oversold", s.atp - s.safety_stock, s.sku, s.location))
    late, late_total = past_ship_by(db, today)
    return StockAndOrders(short=short[:SHORT_SHOWN], short_total=len(short), late=late, late_total=late_total,
                          stale=stale_channels(db, today - timedelta(days=1)))


def past_ship_by(db: Database, today) -> tuple[list[LateOrder], int]:
    """Orders not shipped whose promised ship-by is before today: the most overdue first."""
    where = ("FROM sales_order WHERE promised_ship_by < ? AND fulfilment NOT IN ('shipped', 'delivered', 'cancelled', "
             "'returned') AND status NOT IN ('cancelled', 'refunded', 'returned')")
    day = today.isoformat()
    total = db.scalar(f"SELECT count(*) {where}", (day,))
    rows = db.query(f"SELECT channel, external_id, promised_ship_by {where} ORDER BY promised_ship_by, channel, "
                    f"external_id LIMIT {LATE_SHOWN}", (day,))
    return [LateOrder(channel=r["channel"], order=r["external_id"], ship_by=r["promised_ship_by"],
                      days=(today - date.fromisoformat(r["promised_ship_by"][:10])).days) for r in rows], total
