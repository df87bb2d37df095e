"""`omnictl stock` (positions, the move trail) and the `reconcile` group other modules fill."""

from __future__ import annotations

from typing import Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.main import app, existing_db
from omnictl.cli.options import JSON

stock_app = typer.Typer(invoke_without_command=True,
                        help="Stock: positions (on hand, reserved, ATP, supply), moves, receipts, counts.")
reconcile_app = typer.Typer(no_args_is_help=True,
                            help="Compare the ledger with a count, another system's snapshot or a channel's listings.")
app.add_typer(stock_app, name="stock")
app.add_typer(reconcile_app, name="reconcile")

LOCATION = typer.Option(None, "--location", metavar="CODE", help="Only this location.")


@stock_app.callback()
def stock_positions(
    ctx: typer.Context,
    sku: Optional[str] = typer.Option(None, "--sku", help="Only this master SKU."),
    location: Optional[str] = LOCATION,
    short: bool = typer.Option(False, "--short", help="Only oversold (ATP < 0) or at risk (ATP below safety stock)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", metavar="TIME",
                                        help="On hand at this date (end of day) or time, company timezone."),
    as_json: bool = JSON,
):
    """On hand, reserved, available-to-promise, open supply and projected, per SKU and location."""
    if ctx.invoked_subcommand is not None:
        return
    from omnictl.inventory import positions

    rows = positions(existing_db(), sku=sku, location=location, short=short, as_of=as_of)
    R.dump_json([r.model_dump() for r in rows]) if as_json else R.show_positions(rows, short)


@stock_app.command("moves")
def stock_moves(sku: str = typer.Argument(..., metavar="SKU", help="Master SKU."),
                location: Optional[str] = LOCATION,
                since: Optional[str] = typer.Option(None, "--since", metavar="TIME", help="From this date or time."),
                as_json: bool = JSON):
    """A SKU's trail of moves in effective order, with the running on hand at each location."""
    from omnictl.inventory import list_moves

    moves = list_moves(existing_db(), sku, location=location, since=since)
    R.stream_json(moves) if as_json else R.show_moves(list(moves))


@stock_app.command("why")
def stock_why(move: int = typer.Argument(..., metavar="MOVE_ID", help="A move's id (from `stock moves`)."),
              as_json: bool = JSON):
    """Trace a move to what caused it: order line, import batch, file and row, or count."""
    from omnictl.inventory import why

    trace = why(existing_db(), move)
    R.dump_json(trace) if as_json else R.show_trace(trace)
