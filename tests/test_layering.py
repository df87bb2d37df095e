"""The domain layer stands alone: importing it loads neither typer, textual nor rich."""

import subprocess
import sys

import pkgutil

import omnictl

# Every module of the package except the CLI: a new domain module is covered without editing this list.
DOMAIN_MODULES = sorted(m.name for m in pkgutil.walk_packages(omnictl.__path__, "omnictl.")
                        if not m.name.startswith("omnictl.cli"))


def test_domain_modules_do_not_load_ui_libraries():
    code = (
        "import importlib, sys\n"
        f"for name in {DOMAIN_MODULES!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ModuleNotFoundError as err:\n"
        "        if err.name != name: raise\n"
        "loaded = sorted(m for m in ('typer', 'textual', 'rich', 'click') if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_cli_and_tui_hold_no_sql():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parent.parent
    pattern = re.compile(r"\b(SELECT|INSERT INTO|DELETE FROM|UPDATE \w+ SET)\b")
    offenders = [str(p) for folder in ("omnictl/cli", "tui") for p in (root / folder).rglob("*.py")
                 if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
