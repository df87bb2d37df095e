"""Every command has help text and is documented in the README."""

import re
from pathlib import Path

import click
import typer.main

from omnictl.cli.main import _register, app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def all_commands():
    _register()
    root = typer.main.get_command(app)

    def walk(group, prefix):
        for name, command in group.commands.items():
            path = f"{prefix} {name}".strip()
            if isinstance(command, click.Group):
                yield from walk(command, path)
            else:
                yield path, command

    return list(walk(root, ""))


def test_every_command_has_help():
    missing = [path for path, command in all_commands() if not (command.help or "").strip()]
    assert missing == []


def test_every_command_is_in_the_readme():
    missing = [path for path, _ in all_commands() if not re.search(rf"omnictl (\[--db \S+\] )?{path}\b", README)]
    assert missing == []


def test_help_runs(cli):
    result = cli("--help", db=False)
    assert result.code == 0 and "import" in result.stdout


def test_usage_errors_are_click_messages_not_internal_errors(cli):
    for args, words in [(("orders", "lst"), "No such command 'lst'"), (("import",), "Missing argument"),
                        (("orders", "list", "--limit", "abc"), "Invalid value for '--limit'")]:
        result = cli(*args)
        assert result.code == 2, result
        assert words in result.stderr and "internal error" not in result.stderr


def test_version(cli):
    result = cli("--version", db=False)
    assert result.code == 0 and result.stdout.startswith("omnictl ")
