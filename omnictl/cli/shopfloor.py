"""`omnictl shopfloor import`: daily production reports and material issues."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.main import app, existing_db
from omnictl.cli.options import ACTOR, JSON

shopfloor_app = typer.Typer(no_args_is_help=True, help="Shop-floor reporting: production reports, material issues.")
app.add_typer(shopfloor_app, name="shopfloor")


@shopfloor_app.command("import")
def shopfloor_import(file: Path = typer.Argument(..., metavar="FILE",
                                                 help="CSV, TSV or XLSX: production reports (date, production "
                                                      "order, operation, good quantity, ...) or material issues "
                                                      "(date, production order, component, quantity)."),
                     dry_run: bool = typer.Option(False, "--dry-run", help="Check the file, write nothing."),
                     strict: bool = typer.Option(False, "--strict",
                                                 help="Any rejected row fails the file (exit 1, nothing written)."),
                     actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Import daily production reports or material issues; operations advance, output and consumption post moves."""
    from omnictl.importer import actor_name
    from omnictl.shopfloor import import_shopfloor

    result = import_shopfloor(existing_db(), file, dry_run=dry_run, strict=strict, actor=actor_name(actor))
    name = Path(file).name
    if result.already_imported_as is not None:
        R.note(f"{name} was already imported as batch {result.already_imported_as}; nothing changed")
    else:
        R.file_notes(result)
    if as_json:
        R.dump_json(result)
    elif result.already_imported_as is None:
        state = "dry run, nothing written" if result.dry_run else f"batch {result.batch}"
        if result.kind == "reports":
            what = (f"{result.reports} report(s), good {R.quantity(result.good)}, scrap {R.quantity(result.scrap)}, "
                    f"produced {R.quantity(result.produced)}; operations done: "
                    f"{', '.join(result.operations_done) or 'none'}; orders done: "
                    f"{', '.join(result.orders_done) or 'none'}")
        else:
            what = f"{result.issues} issue(s), {R.quantity(result.consumed)} unit(s) consumed"
        R.out.print(f"{name}: {what}; {result.moves} move(s), {result.skipped} skipped; {result.rejected} rejected "
                    f"of {result.rows_read} rows ({state})", markup=False, highlight=False)
