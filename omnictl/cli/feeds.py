"""`omnictl stock export-channel` and `omnictl reconcile channel`: stock feeds to channels."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.main import existing_db
from omnictl.cli.options import JSON
from omnictl.cli.stock import reconcile_app, stock_app

CHANNEL = typer.Option(..., "--channel", metavar="CODE", help="The channel (its location, share and buffer).")
CHANNEL_LOCATION = typer.Option(None, "--channel-location", metavar="NAME",
                                help="The fulfilment location as the channel's files name it "
                                     "(default: the omnictl location's code or name).")


@stock_app.command("export-channel")
def stock_export_channel(
    file: Path = typer.Argument(..., metavar="FILE", help="File to write ('-' for stdout)."),
    channel: str = CHANNEL,
    fmt: Optional[str] = typer.Option(None, "--format", metavar="FORMAT",
                                      help="shopify, amazon or plain (default: from the channel's profile)."),
    template: Optional[Path] = typer.Option(None, "--template", metavar="FILE",
                                            help="Shopify: the shop's inventory export, whose Handle and options "
                                                 "are kept; only quantities change."),
    channel_location: Optional[str] = CHANNEL_LOCATION,
    as_json: bool = JSON,
):
    """Write the quantity each listing should advertise (ATP x share - buffer, kits by their scarcest
    component) in the channel's upload layout."""
    from omnictl.feeds import export_channel_stock

    result = export_channel_stock(existing_db(), channel, file, fmt=fmt, template=template,
                                  channel_location=channel_location)
    for message in result.notes:
        R.note(message)
    if as_json and result.file != "-":
        R.dump_json(result)
    else:
        R.note(f"{result.rows} listing(s) of channel {result.channel} at {result.location} written to "
               f"{result.file} ({result.format} layout)")


@reconcile_app.command("channel")
def reconcile_channel_command(
    file: Path = typer.Argument(..., metavar="FILE", help="The channel's listed-stock export (Shopify inventory "
                                                          "export, Amazon inventory report, or sku,quantity CSV)."),
    channel: str = CHANNEL,
    tolerance: Optional[str] = typer.Option(None, "--tolerance", metavar="N|P%",
                                            help="Lost sales when listed is more than N units (or P%) below what "
                                                 "it should be (default: below half and at least 2 units short)."),
    channel_location: Optional[str] = CHANNEL_LOCATION,
    as_json: bool = JSON,
):
    """Compare what a channel lists with what it should advertise: oversell risk (exit 1), lost sales,
    unknown and missing listings."""
    from omnictl.feeds import reconcile_channel

    report = reconcile_channel(existing_db(), channel, file, tolerance=tolerance, channel_location=channel_location)
    if as_json:
        R.dump_json(report)
    else:
        _show(report)
    if report.oversell_risk:
        raise typer.Exit(1)


def _show(report) -> None:
    number = R.quantity
    rows = [[line.sku, ", ".join(line.master_skus), line.location, "" if line.listed is None else number(line.listed),
             line.should, "" if line.difference is None else f"{line.difference:+g}", line.status]
            for line in report.lines if line.status != "ok"]
    if rows:
        R.show(R.table(None, ["listing", "master SKUs", "location", "listed", "should", "difference", "status"], rows,
                       justify_right={"listed", "should", "difference"}))
    ok = sum(line.status == "ok" for line in report.lines)
    R.note(f"{Path(report.file).name}: channel {report.channel} at {report.location}: {ok} listing(s) ok, "
           f"{report.oversell_risk} oversell risk, {report.lost_sales} lost sales, "
           f"{len(report.missing_skus)} missing from the file, {len(report.unknown_skus)} unknown to omnictl")
    if report.unknown_skus:
        shown = ", ".join(report.unknown_skus[:10]) + (" ..." if len(report.unknown_skus) > 10 else "")
        R.note(f"unknown SKUs (no alias, no master SKU): {shown}")
    if report.duplicates:
        R.note(f"on several rows (summed): {', '.join(report.duplicates)}")
    if report.blank_skus:
        R.note(f"{report.blank_skus} row(s) without a SKU skipped")
    for reject in report.rejects:
        R.note(f"skipped {reject}")
