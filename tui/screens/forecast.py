"""Forecast (key 6): per SKU and location the replenishment plan from the latest day forecast
(projected stock-out, suggested purchase or production), and for the selected SKU its daily
history and forecast as one chart, with the method and its backtest error.

The plan shown is the stored one (`omnictl.replenish.stored_plan`), so the screen opens at once
on a company whose plan takes half a minute; when what it was computed from has changed (its
inputs' stamp differs), it is computed and stored again in a worker while the stored one stays
on screen, and the line above the table says so. A forecast is run first when none is stored,
as `omnictl replenish --forecast` does."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Label, Static

from omnictl import clock
from omnictl.forecast.run import show_forecast
from omnictl.replenish import stored_lines, stored_plan, update_stored_plan
from tui.screens.common import ConsoleScreen, NavBar, localize_bindings
from tui.widgets.keybar import KeyBar
from tui.widgets.vtable import Column, Source, VirtualTable
from tui.work import Failed, Loaded, load

DAYS_SHOWN = 28
CHART_ROWS = 4
BLOCKS = " ▁▂▃▄▅▆▇█"
PLAN_COLUMNS = (Column("sku", 10, grow=12), Column("location", 6, grow=3), Column("atp", 6, right=True),
                Column("per day", 5, right=True), Column("stock-out", 10), Column("suggested", 6, right=True),
                Column("order by", 10), Column("late", 4, vocabulary=True), Column("action", 8, grow=4,
                                                                                  vocabulary="forecast"))


def _row(p) -> tuple:
    """As the table shows a plan line; then, as keys (not shown), the transfer's source, the day
    the projection falls below safety stock and the safety stock."""
    daily = round(p.daily_forecast, 2) if p.daily_forecast < 100 else round(p.daily_forecast)   # fits 5 cells
    return (p.sku, p.location, p.atp, daily, p.stockout_on or "", p.suggested or None,
            p.order_by or "", "late" if p.suggested and p.late else "", p.action if p.suggested else "", p.source, p.need_on, p.safety_stock)


def _page(db, offset: int, limit: int) -> list[tuple]:
    return [_row(p) for p in stored_lines(db, offset, limit)]


def _update_plan(db):
    return update_stored_plan(db)


def plan_source(plan) -> Source:
    """The stored plan, paged from the database (a company's holds 100,000 lines)."""
    return Source("replenishment", PLAN_COLUMNS, lambda db: plan.lines, _page)


def _view(db, sku: str):
    return show_forecast(db, sku, "day", DAYS_SHOWN)


def bar_chart(history: list[float], forecast: list[float]) -> Text:
    """History then forecast, one column a day, scaled together; the forecast in its own colour."""
    values = history + forecast
    top = max(values, default=0) or 1.0
    levels = [round(v / top * CHART_ROWS * 8) for v in values]
    text = Text()
    for row in range(CHART_ROWS):
        floor = (CHART_ROWS - 1 - row) * 8
        for i, level in enumerate(levels):
            if i == len(history):
                text.append("│", style="dim")
            text.append(BLOCKS[max(0, min(8, level - floor))], style="cyan" if i < len(history) else "magenta")
        text.append(f" {top:g}" if row == 0 else "")
        text.append("\n")
    return text


class ForecastScreen(ConsoleScreen):
    AUTO_FOCUS = "#plan"
    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.app.t)
        self.sku: str | None = None
        self.line: tuple | None = None
        self.plan = None                      # the stored plan's header (StoredPlan)
        self._stored_read = False
        self.computing = False

    def compose(self) -> ComposeResult:
        yield NavBar("forecast")
        yield Label(self.app.t("forecast.reading"), id="plan-status")
        yield VirtualTable(id="plan")
        yield Label("", id="chart-title", classes="section")
        yield Static("", id="chart")
        yield Static("", id="forecast-info")
        yield KeyBar()

    def refresh_data(self) -> None:
        load(self, "stored", stored_plan)
        if self.sku:
            load(self, "view", _view, self.sku)

    def on_loaded(self, message: Loaded) -> None:
        if message.purpose in ("stored", "plan"):
            self._stored_read = True
            if message.purpose == "plan":
                self.computing = False
            self.show_plan(message.result)
            if self.is_current:
                self.shown_unchanged()
        elif message.purpose == "view" and message.result.sku == self.sku:
            self.show_view(message.result)

    def shown_unchanged(self) -> None:
        """Compute a stale plan again (only when seen: a company's takes half a minute)."""
        if self._stored_read and (self.plan is None or not self.plan.current) and not self.computing:
            self.computing = True
            load(self, "plan", _update_plan)
            self.show_status()

    def on_failed(self, message: Failed) -> None:
        if message.purpose == "plan":
            self.computing = False
            self.show_status()

    def show_plan(self, plan) -> None:
        self.plan = plan
        if plan is not None:
            self.query_one("#plan", VirtualTable).show(plan_source(plan))
        self.show_status()

    def show_status(self) -> None:
        t, plan = self.app.t, self.plan
        if plan is None:
            text = t("forecast.reading")
        else:                               # what is happening first: the line is cut at 80 columns
            text = t("forecast.plan", today=plan.today, days=plan.horizon_days, lines=f"{plan.lines:,}",
                     at=clock.local(plan.computed_at, "%m-%d %H:%M"))
            if self.computing:
                text = t("forecast.recomputing") + " · " + text
        self.query_one("#plan-status", Label).update(text)

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        event.stop()
        if event.row is None:
            return
        self.line = event.row
        if event.row[0] != self.sku:
            self.sku = event.row[0]
            load(self, "view", _view, self.sku)
        elif self.view is not None:
            self.show_view(self.view)

    view = None

    def show_view(self, view) -> None:
        t = self.app.t
        self.view = view
        history = [p.quantity for p in view.history]
        forecast = [p.consensus if p.consensus is not None else p.quantity for p in view.forecast][:DAYS_SHOWN]
        if history or forecast:
            title = t("forecast.chart", sku=view.sku, days=len(history), ahead=len(forecast))
            error = t("forecast.error", method=view.method or "-",
                      mase="-" if view.mase is None else f"{view.mase:.2f}",
                      wape="-" if view.wape is None else f"{view.wape:.0%}", as_of=view.as_of or "-")
        else:
            title, error = t("forecast.no_series", sku=view.sku), ""
        self.query_one("#chart-title", Label).update(title)
        self.query_one("#chart", Static).update(bar_chart(history, forecast) if history or forecast else "")
        self.query_one("#forecast-info", Static).update("\n".join(filter(None, [error, self._advice()])))

    def _advice(self) -> str:
        t, line = self.app.t, self.line
        if not line:
            return ""
        sku, location, _, _, out, suggested, by, late, action, source, need, safety = line
        if not suggested:
            return t("forecast.enough", location=location)
        why = t("forecast.why_out", out=out) if out else t("forecast.why_safety", safety=f"{safety:,g}", need=need)
        key = "forecast.suggest_transfer" if action == "transfer" else "forecast.suggest"
        advice = t(key, action=t.word(action, "forecast"), qty=f"{suggested:,g}", location=location,
                   source=source or "-", by=by or "-", why=why)
        return advice + (" " + t("forecast.late") if late else "")
