"""`omnictl purchases` (import, list) and `omnictl stock receive / transfer / adjust`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.main import app, existing_db
from omnictl.cli.options import ACTOR, JSON
from omnictl.cli.stock import stock_app

purchases_app = typer.Typer(no_args_is_help=True, help="Purchase orders: open supply until received.")
app.add_typer(purchases_app, name="purchases")

DRY_RUN = typer.Option(False, "--dry-run", help="Check the file, write nothing.")
STRICT = typer.Option(False, "--strict", help="Any rejected row fails the file (exit 1, nothing written).")
AT = typer.Option(None, "--at", metavar="TIME",
                  help="When it happened: a date (end of that day; today: now) or date and time, company timezone.")
# a negative QTY ("-3") is a value, not an unknown option
SIGNED = {"ignore_unknown_options": True}


def _say(text: str) -> None:
    R.out.print(text, markup=False, highlight=False)


@purchases_app.command("import")
def purchases_import(file: Path = typer.Argument(..., metavar="FILE", help="CSV, TSV or XLSX, one row per PO line."),
                     dry_run: bool = DRY_RUN, strict: bool = STRICT, actor: Optional[str] = ACTOR,
                     as_json: bool = JSON):
    """Import open purchase orders (PO number, supplier, SKU, quantity, expected date); one batch per file."""
    from omnictl.importer import actor_name
    from omnictl.purchases import import_purchases

    result = import_purchases(existing_db(), file, dry_run=dry_run, strict=strict, actor=actor_name(actor))
    if result.already_imported_as is not None:
        R.note(f"{Path(file).name} was already imported as batch {result.already_imported_as}; nothing changed")
    else:
        R.file_notes(result)
    if as_json:
        R.dump_json(result)
    elif result.already_imported_as is None:
        state = "dry run, nothing written" if result.dry_run else f"batch {result.batch}"
        _say(f"{Path(file).name}: {result.orders_created} PO(s) created, {result.orders_updated} updated; lines "
             f"{result.lines_created} created, {result.lines_updated} updated, {result.lines_unchanged} unchanged; "
             f"{result.rejected} rejected of {result.rows_read} rows ({state})")


@purchases_app.command("list")
def purchases_list(open_only: bool = typer.Option(False, "--open", help="Only lines still to come on open POs."),
                   supplier: Optional[str] = typer.Option(None, "--supplier", metavar="TEXT",
                                                          help="Only suppliers whose name contains this."),
                   as_json: bool = JSON):
    """Purchase order lines by expected date: ordered, received, open; late ones marked."""
    from omnictl.purchases import list_purchases

    lines = list_purchases(existing_db(), open_only=open_only, supplier=supplier)
    if as_json:
        R.stream_json(lines)
        return
    rows = [[p.po_number, p.supplier, p.location, p.sku, R.quantity(p.ordered), R.quantity(p.received),
             R.quantity(p.open), p.expected_on, "LATE" if p.late else "", p.status] for p in lines]
    if not rows:
        R.note("no purchase orders match; import them with `omnictl purchases import FILE`")
        return
    R.show(R.table(None, ["PO", "supplier", "location", "sku", "ordered", "received", "open", "expected", "late",
                          "status"], rows, justify_right={"ordered", "received", "open"}, wrap={"supplier"}))
    late = sum(1 for r in rows if r[8])
    if late:
        R.note(f"{late} line(s) late: expected before today and not received in full")


@stock_app.command("receive")
def stock_receive(file: Path = typer.Argument(..., metavar="FILE",
                                              help="CSV, TSV or XLSX: sku, quantity, location, po_number, "
                                                   "received_at, receipt."),
                  at: Optional[str] = AT, dry_run: bool = DRY_RUN, strict: bool = STRICT,
                  actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Post goods receipts from a file, booked against purchase orders; one batch per file."""
    from omnictl.importer import actor_name
    from omnictl.purchases import receive

    result = receive(existing_db(), file, at=at, dry_run=dry_run, strict=strict, actor=actor_name(actor))
    if result.already_imported_as is not None:
        R.note(f"{Path(file).name} was already received as batch {result.already_imported_as}; nothing posted")
    else:
        R.file_notes(result)
    if as_json:
        R.dump_json(result)
    elif result.already_imported_as is None:
        state = "dry run, nothing written" if result.dry_run else f"batch {result.batch}"
        _say(f"{Path(file).name}: {result.moves} receipt move(s), {R.quantity(result.units)} units; "
             f"{result.matched} against purchase orders, {result.unmatched} without, {result.skipped} skipped; "
             f"{result.rejected} rejected of {result.rows_read} rows ({state})")


def _show_change(change, as_json: bool) -> None:
    for warning in change.warnings:
        R.note(f"warning: {warning}")
    if as_json:
        R.dump_json(change)
        return
    held = ", ".join(f"{code} {R.quantity(q)}" for code, q in change.on_hand.items())
    if change.kind == "transfer":
        source, target = change.on_hand
        what = f"{change.ref}: {R.quantity(change.quantity)} {change.sku} from {source} to {target}"
    else:
        what = f"{change.kind} {R.quantity(change.quantity)} {change.sku} at {next(iter(change.on_hand))}"
    _say(f"{what}; move(s) {', '.join(map(str, change.moves))}, effective {change.effective_at}; "
         f"on hand now: {held}")


@stock_app.command("transfer", context_settings=SIGNED)
def stock_transfer(sku: str = typer.Argument(..., metavar="SKU", help="Master SKU."),
                   qty: str = typer.Argument(..., metavar="QTY", help="Units to move (more than 0)."),
                   source: str = typer.Option(..., "--from", metavar="LOCATION", help="Location it leaves."),
                   target: str = typer.Option(..., "--to", metavar="LOCATION", help="Location it arrives at."),
                   reason: Optional[str] = typer.Option(None, "--reason", metavar="TEXT",
                                                        help="Why (kept on the moves)."),
                   at: Optional[str] = AT, actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Move stock between two locations: two 'transfer' moves with one reference, in one transaction."""
    from omnictl.importer import actor_name
    from omnictl.purchases import transfer

    _show_change(transfer(existing_db(), sku, qty, source, target, reason=reason, at=at, actor=actor_name(actor)),
                 as_json)


@stock_app.command("adjust", context_settings=SIGNED)
def stock_adjust(sku: str = typer.Argument(..., metavar="SKU", help="Master SKU."),
                 qty: str = typer.Argument(..., metavar="QTY", help="Signed change, e.g. 5 or -3 (scrap: units out)."),
                 location: str = typer.Option(..., "--location", metavar="CODE", help="Where."),
                 reason: str = typer.Option(..., "--reason", metavar="TEXT", help="Why (required)."),
                 kind: str = typer.Option("adjustment", "--kind", metavar="KIND",
                                          help="adjustment (default) or scrap."),
                 at: Optional[str] = AT, actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Correct on hand with a reason: a signed 'adjustment', or '--kind scrap' (taken out)."""
    from omnictl.importer import actor_name
    from omnictl.purchases import adjust

    _show_change(adjust(existing_db(), sku, qty, location, reason=reason, kind=kind, at=at, actor=actor_name(actor)),
                 as_json)
