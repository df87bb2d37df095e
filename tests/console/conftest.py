"""The demo database built once per session; each test gets its own copy to write to."""

from __future__ import annotations

import asyncio
import inspect
import shutil
from pathlib import Path

import pytest

from omnictl import clock
from omnictl.db import open_db

TODAY = "2026-11-25"


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory) -> Path:
    from omnictl.demo import build_demo

    mp = pytest.MonkeyPatch()
    mp.setenv("OMNICTL_TODAY", TODAY)
    mp.setenv("OMNICTL_PROFILES", str(tmp_path_factory.mktemp("no-profiles") / "none"))
    try:
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        build_demo(path)
    finally:
        mp.undo()
        clock.pin(None)
    return path


@pytest.fixture
def demo_db(demo_file, tmp_path):
    target = tmp_path / "demo.db"
    shutil.copy(demo_file, target)
    database = open_db(target)
    yield database
    database.close()


async def settle(pilot, rounds: int = 4) -> None:
    """Let thread workers finish and their messages be handled (a result may ask for more).
    The file picker's folder loader is not waited for: it lives as long as its tree."""
    from textual.widgets import DirectoryTree

    for _ in range(rounds):
        await pilot.pause()
        working = [w for w in pilot.app.workers if not isinstance(w.node, DirectoryTree)]
        if working:                          # an empty list would wait for every worker
            await pilot.app.workers.wait_for_complete(working)
    await pilot.pause()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests in a fresh event loop (no asyncio plugin needed)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**arguments))
        return True
    return None
