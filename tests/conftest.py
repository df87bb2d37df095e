"""Shared fixtures: a temporary database, a pinned clock, the CLI runner, ../shared paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from omnictl import clock
from omnictl.db import open_db

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("OMNICTL_SHARED", ROOT.parent / "shared"))
CHANNEL_FIXTURES = SHARED / "fixtures" / "channels"
OWN_FIXTURES = Path(__file__).resolve().parent / "fixtures"
TODAY = "2026-11-25"


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch, tmp_path):
    """Every test runs on 2026-11-25 with no user profiles and a short busy timeout."""
    monkeypatch.setenv("OMNICTL_TODAY", TODAY)
    monkeypatch.setenv("OMNICTL_PROFILES", str(tmp_path / "no-user-profiles"))
    monkeypatch.setenv("OMNICTL_BUSY_TIMEOUT", "0.5")
    monkeypatch.delenv("OMNICTL_DB", raising=False)
    clock.pin(None)
    clock.set_zone("UTC")
    from omnictl.channels import profile

    profile._cache = None
    yield
    clock.pin(None)


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "test.db")
    yield database
    database.close()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "cli.db"


def shared_file(relative: str) -> Path:
    """A file under ../shared/fixtures/channels; the test is skipped when it is absent."""
    path = CHANNEL_FIXTURES / relative
    if not path.exists():
        pytest.skip(f"{path} not available (../shared is absent)")
    return path


@pytest.fixture
def cli(db_path):
    """Run `omnictl --db <tmp> ARGS` in-process; returns (exit_code, stdout, stderr)."""
    return CliRunner(db_path)


class CliRunner:
    def __init__(self, db_path: Path):
        self.db_path = db_path

    def __call__(self, *args: str, db: bool = True):
        import io
        import sys
        from contextlib import redirect_stderr, redirect_stdout

        from omnictl.cli import main as cli_main
        from omnictl.cli import render

        argv = ["omnictl"] + (["--db", str(self.db_path)] if db else []) + [str(a) for a in args]
        out, err = io.StringIO(), io.StringIO()
        old_argv = sys.argv
        sys.argv = argv
        saved = render.out.file, render.err.file
        try:
            with redirect_stdout(out), redirect_stderr(err):
                render.out.file, render.err.file = out, err
                try:
                    cli_main.run()
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 0
        finally:
            sys.argv = old_argv
            render.out.file, render.err.file = saved
            clock.pin(None)
        return Result(code, out.getvalue(), err.getvalue())


class Result:
    def __init__(self, code: int, stdout: str, stderr: str):
        self.code, self.stdout, self.stderr = code, stdout, stderr

    def json(self):
        import json

        return json.loads(self.stdout)

    def __repr__(self):
        return f"Result(code={self.code}, stdout={self.stdout[:500]!r}, stderr={self.stderr[:500]!r})"
