"""Settings (`omnictl config`) and exchange rates (`omnictl fx`)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import typer

from omnictl.cli import render as R
from omnictl.cli.options import JSON, ACTOR
from omnictl.cli.main import app, db, existing_db, reference_db
from omnictl.errors import UsageError

RATES_FILE = typer.Argument(..., metavar="FILE", help="CSV, TSV or XLSX with date, currency, rate.")

config_app = typer.Typer(no_args_is_help=True, help="Settings: company timezone and currency, targets, weights, owners.")
fx_app = typer.Typer(no_args_is_help=True, help="Exchange rates to the company currency.")
app.add_typer(config_app, name="config")
app.add_typer(fx_app, name="fx")


# -- config ---------------------------------------------------------------------------------

@config_app.command("show")
def config_show(prefix: str | None = typer.Argument(None, metavar="PREFIX", help="Only keys under this, e.g. plan."),
                as_json: bool = JSON):
    """Every setting with its value, default and meaning (set ones marked)."""
    from omnictl.settings import show_settings

    items = show_settings(reference_db(), prefix)
    R.dump_json([i.model_dump() for i in items]) if as_json else R.show_settings(items)


@config_app.command("set", context_settings={"ignore_unknown_options": True})   # VALUE may be -1
def config_set(key: str = typer.Argument(..., metavar="KEY", help="A setting's key, e.g. company.timezone."),
               value: str | None = typer.Argument(None, metavar="VALUE", help="The new value."),
               unset: bool = typer.Option(False, "--unset", help="Remove the setting: its default applies again."),
               actor: str | None = ACTOR, as_json: bool = JSON):
    """Set one setting (validated; a bad value names the key and what is allowed), or --unset it."""
    from omnictl.importer import actor_name
    from omnictl.settings import set_setting, unset_setting

    if unset == (value is not None):
        raise UsageError(f"give {key} a VALUE, or --unset to return it to its default (not both)")
    result = (unset_setting(db(), key, actor_name(actor)) if unset
              else set_setting(db(), key, value, actor_name(actor)))
    R.dump_json(result) if as_json else R.show_settings_result(result)


@config_app.command("edit")
def config_edit(actor: str | None = ACTOR, as_json: bool = JSON):
    """Edit every setting in $VISUAL or $EDITOR as TOML; all are checked before any is written."""
    from omnictl.importer import actor_name
    from omnictl.models import SettingsResult
    from omnictl.settings import apply_settings_text, settings_as_toml

    database = db()
    original = settings_as_toml(database)
    edited, path = _run_editor(original)
    if edited == original:
        path.unlink(missing_ok=True)
        R.note("no changes")
        if as_json:
            R.dump_json(SettingsResult(actor=actor_name(actor)))
        return
    try:
        result = apply_settings_text(database, edited, actor_name(actor))
    except UsageError as err:
        raise UsageError(f"{err}; your edit is kept in {path}") from None
    path.unlink(missing_ok=True)
    R.dump_json(result) if as_json else R.show_settings_result(result)


def _run_editor(text: str) -> tuple[str, Path]:
    """Open `text` in the user's editor; returns the saved text and the file's path."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise UsageError("no editor to run: set $EDITOR (or $VISUAL), or use `omnictl config set KEY VALUE`")
        editor = "vi"
    handle, name = tempfile.mkstemp(prefix="omnictl-settings-", suffix=".toml")
    path = Path(name)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    try:
        done = subprocess.run([*shlex.split(editor), str(path)], check=False)
    except OSError as err:
        path.unlink(missing_ok=True)
        raise UsageError(f"cannot run the editor '{editor}' ({err.strerror or err}); set $EDITOR") from None
    if done.returncode != 0:
        path.unlink(missing_ok=True)
        raise UsageError(f"the editor '{editor}' exited with status {done.returncode}; nothing was changed")
    return path.read_text(encoding="utf-8"), path


# -- fx -------------------------------------------------------------------------------------

@fx_app.command("import")
def fx_import(file: Path = RATES_FILE,
              dry_run: bool = typer.Option(False, "--dry-run", help="Check the file, write nothing."),
              strict: bool = typer.Option(False, "--strict", help="Any rejected row fails the file (exit 1)."),
              actor: str | None = ACTOR, as_json: bool = JSON):
    """Import exchange rates (base-currency units per unit of each currency, by date); one batch per file."""
    from omnictl.fx import import_rates
    from omnictl.importer import actor_name

    result = import_rates(db(), file, dry_run=dry_run, strict=strict, actor=actor_name(actor))
    for reject in result.rejects:
        R.note(f"rejected: {reject.reason}")
    R.dump_json(result) if as_json else R.show_fx_result(result)


@fx_app.command("list")
def fx_list(currency: str | None = typer.Option(None, "--currency", metavar="CODE", help="Only this currency."),
            since: str | None = typer.Option(None, "--from", metavar="DATE", help="Rates from this date, YYYY-MM-DD."),
            as_json: bool = JSON):
    """Stored exchange rates by currency and date."""
    from omnictl.fx import list_rates

    rates = list_rates(existing_db(), currency=currency, since=since)
    R.stream_json(rates) if as_json else R.show_rates(rates)
