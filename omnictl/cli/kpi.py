"""`omnictl kpi turnover`: key figures against their targets from the settings."""

from __future__ import annotations

import typer

from omnictl.cli import render as R
from omnictl.cli.main import app, existing_db
from omnictl.cli.options import JSON

kpi_app = typer.Typer(no_args_is_help=True, help="Key figures against their targets (kpi.* settings).")
app.add_typer(kpi_app, name="kpi")


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
