"""The command groups. Each command is a few lines: gather input, call the domain, render."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.options import JSON, CHANNEL, ACTOR
from omnictl.cli.main import app, db, existing_db, reference_db


master_app = typer.Typer(no_args_is_help=True, help="Master data: SKUs, locations, channels, aliases, customers, "
                         "calendars, work centers, routings, BOMs.")
channels_app = typer.Typer(no_args_is_help=True, help="Channels and the profiles (file layouts) they use.")
imports_app = typer.Typer(no_args_is_help=True, help="Import batches: list, show with rejects, undo.")
skus_app = typer.Typer(no_args_is_help=True, help="Channel SKUs that map to no master SKU.")
orders_app = typer.Typer(no_args_is_help=True, help="Orders from every channel.")
app.add_typer(master_app, name="master")
app.add_typer(channels_app, name="channels")
app.add_typer(imports_app, name="imports")
app.add_typer(skus_app, name="skus")
customers_app = typer.Typer(no_args_is_help=True, help="Customers across every channel.")
app.add_typer(orders_app, name="orders")
app.add_typer(customers_app, name="customers")


# -- import ---------------------------------------------------------------------------------

@app.command("import")
def import_cmd(
    files: List[Path] = typer.Argument(..., metavar="FILE", help="Channel export files (CSV, TSV, TXT, XLSX)."),
    channel: Optional[str] = typer.Option(None, "--channel", metavar="CODE",
                                          help="Channel code; else detected from the header."),
    profile: Optional[str] = typer.Option(None, "--profile", metavar="NAME",
                                          help="Force a profile (file layout) by name."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and check everything, write nothing."),
    strict: bool = typer.Option(False, "--strict", help="Any rejected row fails the file (exit 1)."),
    actor: Optional[str] = ACTOR,
    as_json: bool = JSON,
):
    """Import channel order exports; each file is one batch and one transaction."""
    from omnictl.importer import import_files

    with R.progress_bar("Importing") as progress:
        results = import_files(db(), files, channel=channel, profile=profile, dry_run=dry_run,
                               strict=strict, actor=actor, progress=progress)
    for result in results:
        for message in result.notes:
            R.note(message)
        if result.rejected:
            R.note(f"{Path(result.file).name}: {result.rejected} row(s) rejected; "
                   f"`omnictl imports show {result.batch}` lists them" if result.batch else
                   f"{Path(result.file).name}: {result.rejected} row(s) would be rejected")
    if as_json:
        R.dump_json([r.model_dump(include={"file", "batch", "channel", "profile", "orders", "lines", "rejected",
                                           "unmapped", "orders_created", "orders_updated", "rows_read",
                                           "already_imported_as", "dry_run"}) for r in results])
    else:
        R.show_import_results(results)


# -- master data ----------------------------------------------------------------------------

@master_app.command("import")
def master_import(
    kind: str = typer.Argument(..., metavar="KIND", help="skus, locations, channels, aliases, customers, calendars, work-centers, routings or boms."),
    file: Path = typer.Argument(..., metavar="FILE", help="CSV or XLSX with the documented header."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file, write nothing."),
    strict: bool = typer.Option(False, "--strict", help="Any rejected row fails the file (exit 1)."),
    actor: Optional[str] = ACTOR,
    as_json: bool = JSON,
):
    """Import master data from CSV or XLSX (header documented in the README)."""
    from omnictl.importer import actor_name
    from omnictl.master import import_master

    result = import_master(db(), kind, file, dry_run=dry_run, strict=strict, actor=actor_name(actor))
    for reject in result.rejects:
        R.note(f"rejected: {reject.reason}")
    if as_json:
        R.dump_json(result)
    else:
        R.show_master_result(result)


# -- channels -------------------------------------------------------------------------------

@channels_app.command("list")
def channels_list(as_json: bool = JSON):
    """Channels, then every profile with the channels that use it."""
    from omnictl.channels.catalog import list_channels, list_profiles

    channels, profiles = list_channels(reference_db()), list_profiles(reference_db())
    if as_json:
        R.dump_json({"channels": [c.model_dump() for c in channels],
                     "profiles": [p.model_dump(exclude={"columns"}) for p in profiles]})
    else:
        R.show_channels(channels, profiles)


@channels_app.command("show")
def channels_show(name: str = typer.Argument(..., metavar="NAME", help="Channel code or profile name."), as_json: bool = JSON):
    """One channel's settings, or one profile's columns and vocabulary."""
    from omnictl.channels.catalog import show

    item = show(reference_db(), name)
    R.dump_json(item) if as_json else R.show_channel_or_profile(item)


@channels_app.command("detect")
def channels_detect(file: Path = typer.Argument(..., metavar="FILE", help="An export file."), as_json: bool = JSON):
    """Which profile matches FILE and why, with its first orders as they would import."""
    from omnictl.channels.catalog import detect_file

    result = detect_file(reference_db(), file)
    R.dump_json(result) if as_json else R.show_detection(result)


# -- batches --------------------------------------------------------------------------------

@imports_app.command("list")
def imports_list(channel: Optional[str] = CHANNEL,
                 limit: Optional[int] = typer.Option(None, "--limit", metavar="N", help="At most N batches."),
                 as_json: bool = JSON):
    """Import batches, newest first."""
    from omnictl.batches import list_batches

    batches = list_batches(existing_db(), channel=channel, limit=limit)
    R.dump_json([b.model_dump() for b in batches]) if as_json else R.show_batches(batches)


@imports_app.command("show")
def imports_show(batch: int = typer.Argument(..., metavar="ID", help="Batch id."), as_json: bool = JSON):
    """One batch: file, hash, counts and every rejected row with its reason."""
    from omnictl.batches import get_batch

    info = get_batch(existing_db(), batch)
    R.dump_json(info) if as_json else R.show_batch(info)


@imports_app.command("undo")
def imports_undo(batch: int = typer.Argument(..., metavar="ID", help="Batch id."),
                 actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Undo an order batch (only the latest batch touching its orders)."""
    from omnictl.batches import undo_batch
    from omnictl.importer import actor_name

    result = undo_batch(existing_db(), batch, actor_name(actor))
    if as_json:
        R.dump_json(result)
    else:
        R.note(f"batch {result.batch} undone: {result.orders_removed} order(s) removed, "
               f"{result.orders_restored} restored, {result.lines_removed} line(s) removed")


# -- skus -----------------------------------------------------------------------------------

@skus_app.command("unmapped")
def skus_unmapped(channel: Optional[str] = CHANNEL, as_json: bool = JSON):
    """Channel SKUs with no alias and no master SKU, with how many lines wait on them."""
    from omnictl.skus import unmapped

    items = unmapped(existing_db(), channel)
    R.dump_json([i.model_dump() for i in items]) if as_json else R.show_unmapped(items)


@skus_app.command("map")
def skus_map(channel: str = typer.Argument(..., metavar="CHANNEL", help="Channel code."),
             external_sku: str = typer.Argument(..., metavar="EXTERNAL_SKU", help="The channel's own SKU or listing id."),
             sku: str = typer.Argument(..., metavar="SKU", help="The master SKU it stands for."),
             factor: float = typer.Option(1.0, "--factor", metavar="N", help="Master units per channel unit."),
             actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Map a channel SKU to a master SKU; its waiting lines are resolved at once."""
    from omnictl.importer import actor_name
    from omnictl.skus import map_sku

    result = map_sku(existing_db(), channel, external_sku, sku, factor, actor=actor_name(actor))
    if as_json:
        R.dump_json(result)
    else:
        R.note(f"{channel} {external_sku} → {sku}: {result.lines_mapped} line(s) mapped")


# -- orders ---------------------------------------------------------------------------------

@orders_app.command("list")
def orders_list(
    channel: Optional[str] = CHANNEL,
    status: Optional[str] = typer.Option(None, "--status", help="pending, paid, shipped, delivered, cancelled, returned, refunded."),
    since: Optional[str] = typer.Option(None, "--from", help="First order date (company timezone), YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, "--to", help="Last order date (company timezone), YYYY-MM-DD."),
    sku: Optional[str] = typer.Option(None, "--sku", help="Master or channel SKU."),
    customer: Optional[str] = typer.Option(None, "--customer", help="Customer code, email or name."),
    limit: Optional[int] = typer.Option(None, "--limit", metavar="N",
                                        help="At most N orders (default 50 in the table, all with --json)."),
    as_json: bool = JSON,
):
    """Orders from every channel, newest first."""
    from omnictl.orders import list_orders

    if not as_json and limit is None:
        limit = 50
    orders = list_orders(existing_db(), channel=channel, status=status, since=since, until=until, sku=sku,
                         customer=customer, limit=limit)
    R.stream_json(orders) if as_json else R.show_orders(list(orders), limit)


@orders_app.command("show")
def orders_show(order: str = typer.Argument(..., metavar="ORDER", help="Order number (with or without #) or id."),
                channel: Optional[str] = typer.Option(None, "--channel", metavar="CODE",
                                                      help="The channel, when several have this order number."),
                as_json: bool = JSON):
    """One order: lines, amounts, payment and fulfilment, history, source batch and row."""
    from omnictl.orders import get_order

    detail = get_order(existing_db(), order, channel)
    R.dump_json(detail) if as_json else R.show_order(detail)


@orders_app.command("search")
def orders_search(text: str = typer.Argument(..., metavar="TEXT",
                                             help="Order number (# optional), name, phone, email, customer code or SKU."),
                  limit: int = typer.Option(50, "--limit", metavar="N", min=1, help="At most N orders."),
                  as_json: bool = JSON):
    """Find orders in every channel: exact order number first, then email or phone, name, SKU."""
    from omnictl.search import search_orders

    found = search_orders(existing_db(), text, limit=limit)
    R.dump_json([o.model_dump() for o in found]) if as_json else \
        R.show_found_orders(found, limit, f"no order matches '{text}'")


@orders_app.command("export")
def orders_export(file: Path = typer.Argument(..., metavar="FILE", help="CSV file to write ('-' for stdout)."),
                  since: Optional[str] = typer.Option(None, "--since", metavar="DATE",
                                                      help="Orders from this date (company timezone), YYYY-MM-DD."),
                  channel: Optional[str] = CHANNEL,
                  as_json: bool = JSON):
    """Write orders in omnictl's own layout (one row per line; docs/order-layout.md); `omnictl import` reads it back."""
    from omnictl.exporter import export_orders, write_orders

    if str(file) == "-":
        result = write_orders(existing_db(), sys.stdout, since=since, channel=channel)
    else:
        result = export_orders(existing_db(), file, since=since, channel=channel)
    if as_json and str(file) != "-":
        R.dump_json(result)
    else:
        R.note(f"{result.orders} order(s), {result.lines} line(s) written to {result.file}")


@customers_app.command("show")
def customers_show(key: str = typer.Argument(..., metavar="KEY", help="Customer code, email, phone or name."),
                   as_json: bool = JSON):
    """One customer's orders across all channels (matched on phone or email), open ones first, totals per channel."""
    from omnictl.search import customer_view

    view = customer_view(existing_db(), key)
    R.dump_json(view) if as_json else R.show_customer(view)


# -- demo -----------------------------------------------------------------------------------

@app.command("demo")
def demo_cmd(
    exports: bool = typer.Option(True, "--exports/--no-exports",
                                 help="Keep the rendered channel exports in a folder beside the database."),
    as_json: bool = JSON,
):
    """Build a demo database (at --db, else ./omnictl-demo.db) from the bundled sample company, then tour it.

    A previous demo database is replaced; any other database at that path is refused.
    """
    from omnictl.cli.main import state
    from omnictl.demo import build_demo

    tour = build_demo(state.db_path, keep_exports=exports)
    R.dump_json(tour) if as_json else R.show_demo_tour(tour)
