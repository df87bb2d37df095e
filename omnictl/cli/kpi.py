"""`omnictl kpi` (on-time delivery, OEE, turnover days) and `omnictl kpi turnover`: key figures
against their targets from the settings."""

from __future__ import annotations

from typing import Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.main import app, existing_db
from omnictl.cli.options import JSON

kpi_app = typer.Typer(invoke_without_command=True,
                      help="Key figures against their targets (kpi.* settings): on-time delivery, OEE and "
                           "inventory turnover days; `kpi turnover` per SKU.")
app.add_typer(kpi_app, name="kpi")


@kpi_app.callback()
def kpi_all(ctx: typer.Context,
            since: Optional[str] = typer.Option(None, "--from", metavar="DATE",
                                                help="First day (company timezone), YYYY-MM-DD; default: 30 days "
                                                     "before --to."),
            until: Optional[str] = typer.Option(None, "--to", metavar="DATE",
                                                help="Last day, YYYY-MM-DD; default: yesterday."),
            as_json: bool = JSON):
    """On-time delivery, OEE per work center and overall, and inventory turnover days over a period."""
    if ctx.invoked_subcommand is not None:
        return
    from omnictl.kpi import report_for

    report = report_for(existing_db(), since, until)
    if as_json:
        R.dump_json(report)
        return
    _show_report(report)


def _value(figure) -> str:
    if figure.value is None:
        return "n/a"
    return f"{figure.value:.1f}%" if figure.unit == "%" else f"{figure.value:,.1f} days"


def _target(figure) -> str:
    return f"≥ {figure.target:g}%" if figure.unit == "%" else f"{figure.target:g} days"


def _ratio(figure) -> str:
    if figure.name in ("on_time_delivery", "on_time_to_customer") and figure.denominator:
        return f"{figure.numerator:g} / {figure.denominator:g} lines"
    return ""


def _show_report(report) -> None:
    R.show(R.table(f"KPIs {report.start} → {report.end} ({report.days} days)",
                   ["kpi", "value", "target", "status", "from"],
                   [[f.label, _value(f), _target(f), f.status, _ratio(f)] for f in report.kpis],
                   justify_right={"value"}))
    if report.oee_by_work_center:
        R.show(R.table("OEE per work center",
                       ["work center", "days", "planned min", "run min", "downtime min", "good", "scrap",
                        "availability", "performance", "quality", "OEE", "status"],
                       [[x.work_center, x.days, f"{x.planned_min:,.0f}", f"{x.run_min:,.0f}", f"{x.downtime_min:,.0f}",
                         R.quantity(x.good), R.quantity(x.scrap), _percent(x.availability_pct),
                         _percent(x.performance_pct), _percent(x.quality_pct), _percent(x.oee_pct), x.status]
                        for x in report.oee_by_work_center],
                       justify_right={"days", "planned min", "run min", "downtime min", "good", "scrap",
                                      "availability", "performance", "quality", "OEE"}))
    for figure in report.kpis:
        for text in figure.notes:
            R.note(f"{figure.name}: {text}")


def _percent(value) -> str:
    return "" if value is None else f"{value:.1f}%"


def _days(value) -> str:
    return "" if value is None else f"{value:,.1f}"


@kpi_app.command("turnover")
def kpi_turnover(days: int = typer.Option(90, "--days", metavar="N", min=1,
                                          help="Period: the last N complete days (default 90)."),
                 as_json: bool = JSON):
    """Inventory turnover days per SKU and in total (average on hand ÷ daily usage) against kpi.turnover_days_target."""
    from omnictl.replenish import turnover

    report = turnover(existing_db(), days)
    if as_json:
        R.dump_json(report)
        return
    if report.lines:
        R.show(R.table(None, ["sku", "avg on hand", "sold", "consumed", "per day", "turnover days", "band"],
                       [[r.sku, f"{r.average_on_hand:g}", R.quantity(r.sold), R.quantity(r.consumed),
                         f"{r.daily_usage:g}", _days(r.turnover_days), r.band] for r in report.lines],
                       justify_right={"avg on hand", "sold", "consumed", "per day", "turnover days"}))
    R.out.print(f"total {report.start} → {report.end}: {_days(report.turnover_days) or 'n/a'} days "
                f"(target {report.target_days:g}): {report.band}", markup=False, highlight=False)
    if report.uncosted:
        R.note(f"left out of the total (no cost): {', '.join(report.uncosted)}")
