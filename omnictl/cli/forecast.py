"""`omnictl forecast run | show | accuracy | import-sales`: rolling demand forecasts."""

from __future__ import annotations

from typing import Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.main import app, db, existing_db
from omnictl.cli.options import ACTOR, CHANNEL, JSON

forecast_app = typer.Typer(no_args_is_help=True,
                           help="Demand forecasting: rolling versions per SKU, accuracy, sales' consensus.")
app.add_typer(forecast_app, name="forecast")

BUCKET = typer.Option("month", "--bucket", metavar="month|week|day", help="Bucket: month, week or day.")
BAR = 40


def _q(value) -> str:
    return "" if value is None else f"{value:,.1f}"


def _err(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


@forecast_app.command("run")
def forecast_run(bucket: str = BUCKET,
                 horizon: Optional[int] = typer.Option(None, "--horizon", metavar="N", min=1,
                                                       help="Buckets to forecast (default 3 months, 8 weeks, 14 days)."),
                 as_of: Optional[str] = typer.Option(None, "--as-of", metavar="DATE",
                                                     help="Last day of actuals; later orders are ignored "
                                                          "(default yesterday)."),
                 sku: Optional[str] = typer.Option(None, "--sku", metavar="SKU", help="Only this SKU."),
                 channel: Optional[str] = CHANNEL,
                 exclude_outliers: bool = typer.Option(False, "--exclude-outliers",
                                                       help="Replace one-off spikes (bulk orders) before fitting."),
                 actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Forecast every SKU from order history (method chosen per SKU by backtest MASE) and store the version."""
    from omnictl.forecast.run import PROGRESS_TOTAL, run_forecast
    from omnictl.importer import actor_name

    with R.progress_bar("Forecast", total=PROGRESS_TOTAL) as progress:
        info = run_forecast(db(), bucket=bucket, horizon=horizon, as_of=as_of, sku=sku, channel=channel,
                            exclude_outliers=exclude_outliers, actor=actor_name(actor), progress=progress)
    if as_json:
        R.dump_json([row.model_dump(mode="json") for row in info.rows])
    else:
        R.show(R.table(f"Forecast run {info.id}: {info.bucket}s after {info.as_of} (history from {info.history_from})",
                       ["sku", "method", "MASE", "WAPE", "outliers", "locations"],
                       [(s.sku, s.method, _err(s.mase), _err(s.wape), s.outliers,
                         ", ".join(f"{k} {v:.0%}" for k, v in s.locations.items())) for s in info.skus],
                       justify_right={"MASE", "WAPE", "outliers"}))
        periods = sorted({r.period_start for r in info.rows})
        qty = {(r.sku, r.period_start): r.quantity for r in info.rows}
        R.show(R.table(None, ["sku"] + periods,
                       [[s.sku] + [_q(qty[(s.sku, p)]) for p in periods] for s in info.skus],
                       justify_right=set(periods)))
    R.note(f"Forecast run {info.id} stored: {len(info.skus)} SKU(s), {len(info.rows)} row(s).")
    if info.unmapped_lines:
        R.note(f"{info.unmapped_lines} order line(s) are not mapped to a SKU and are not in the history "
               "(omnictl skus unmapped).")


@forecast_app.command("show")
def forecast_show(sku: str = typer.Argument(..., metavar="SKU", help="Master SKU."), bucket: str = BUCKET,
                  as_json: bool = JSON):
    """History and the latest forecast of SKU as a text chart, with the method, its error and the consensus."""
    from omnictl.forecast.run import show_forecast

    view = show_forecast(existing_db(), sku, bucket)
    if as_json:
        R.dump_json(view)
        return
    if view.run_id is None:
        R.note(f"No stored {bucket} forecast for {sku} yet (omnictl forecast run --bucket {bucket}).")
    points = [("history", p.period_start, p.quantity) for p in view.history]
    points += [("forecast", p.period_start, p.consensus if p.consensus is not None else p.quantity)
               for p in view.forecast]
    top = max([q for _, _, q in points] + [1e-9])
    lines = [f"{sku} per {bucket}: method {view.method or 'n/a'}, MASE {_err(view.mase)}, WAPE {_err(view.wape)}"
             + (f" (run {view.run_id}, actuals to {view.as_of})" if view.run_id else "")]
    sales = {p.period_start: p for p in view.forecast}
    for kind, start, q in points:
        bar = ("#" if kind == "history" else "=") * max(0, round(BAR * max(q, 0) / top))
        extra = ""
        p = sales.get(start) if kind == "forecast" else None
        if p is not None and p.sales is not None:
            how = "overrides" if p.override else f"weight {view.sales_weight:g}"
            extra = f"  (statistical {_q(p.quantity)}, sales {_q(p.sales)}, {how})"
        lines.append(f"{start} {'F' if kind == 'forecast' else ' '} {bar:<{BAR}} {_q(q):>10}{extra}")
    lines.append("# actual   = forecast (consensus where sales gave one)")
    R.out.print("\n".join(lines), markup=False, highlight=False)


@forecast_app.command("accuracy")
def forecast_accuracy(bucket: Optional[str] = typer.Option(None, "--bucket", metavar="month|week|day",
                                                           help="Only this bucket."),
                      as_json: bool = JSON):
    """Stored forecasts of periods that have passed against actual demand: WAPE and bias per SKU, channel and bucket."""
    from omnictl.forecast.run import accuracy

    rows = accuracy(existing_db(), bucket)
    if as_json:
        R.dump_json([r.model_dump(mode="json") for r in rows])
        return
    if not rows:
        R.note("No stored forecast covers a period that has passed yet.")
        return
    R.show(R.table(None, ["sku", "bucket", "channel", "runs", "periods", "forecast", "actual", "WAPE", "bias"],
                   [(r.sku, r.bucket, r.channel or "all", r.runs, r.periods, _q(r.forecast), _q(r.actual),
                     "n/a" if r.wape is None else f"{r.wape:.1%}", "n/a" if r.bias is None else f"{r.bias:+.1%}")
                    for r in rows],
                   justify_right={"runs", "periods", "forecast", "actual", "WAPE", "bias"}))


@forecast_app.command("import-sales")
def forecast_import_sales(file: str = typer.Argument(..., metavar="FILE",
                                                    help="CSV or XLSX: sku, period, quantity, optional override."),
                          actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Import the sales team's forecast (sku, period as 2026-12 / 2026-W50 / 2026-12-07, quantity, optional
    override yes/no) for the consensus: blended by forecast.sales_weight, or replacing the statistical figure."""
    from omnictl.forecast.run import import_sales
    from omnictl.importer import actor_name

    result = import_sales(db(), file, actor=actor_name(actor))
    if as_json:
        R.dump_json(result)
    else:
        overrides = f" ({result.overrides} overriding the statistical forecast)" if result.overrides else ""
        R.note(f"{result.file}: {result.rows} row(s), {result.imported} imported{overrides}, "
               f"{result.rejected} rejected.")
        for reject in result.rejects:
            R.note(f"  row {reject['row']}: {reject['reason']}")
    if result.rejected and not result.imported:
        raise typer.Exit(1)
