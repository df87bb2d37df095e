"""`omnictl tui --serve`: the console in a browser through textual-serve (an optional extra)."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import types
from datetime import datetime

import pytest

from tui import serve

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def needs_textual_serve():
    pytest.importorskip("textual_serve", reason="textual-serve (the serve extra) is not installed")


def test_each_browser_session_runs_the_console_on_the_same_database_clock_and_language(tmp_path):
    path = tmp_path / "shop data" / "omnictl.db"
    command = serve.console_command(path, "zh", datetime(2026, 11, 20, 9, 30), python="/opt/py 3/bin/python")
    assert shlex.split(command) == ["/opt/py 3/bin/python", "-m", "omnictl.cli", "--db", str(path),
                                    "--today", "2026-11-20T09:30:00", "tui", "--lang", "zh"]
    assert "--today" not in serve.console_command(path, "en", None)


class FakeServer:
    """Stands in for textual-serve's server: records what it was given and says it listens."""

    made: list[FakeServer] = []

    def __init__(self, command, *, host, port, title, announcement, say):
        self.command, self.host, self.port = command, host, port
        self.announcement, self.say = announcement, say
        FakeServer.made.append(self)

    def serve(self):
        self.say(self.announcement)


def test_the_cli_serves_its_database_pinned_clock_and_language(cli, demo_file, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tui.web_server", types.SimpleNamespace(ConsoleServer=FakeServer))
    FakeServer.made.clear()
    path = tmp_path / "with space" / "demo.db"
    path.parent.mkdir()
    shutil.copy(demo_file, path)
    result = cli("--db", path, "--today", "2026-11-20", "tui", "--serve", "--lang", "zh", "--port", "8123", db=False)
    assert result.code == 0, result.stderr
    server, = FakeServer.made
    assert (server.host, server.port) == ("127.0.0.1", 8123)
    words = shlex.split(server.command)
    assert words[:3] == [sys.executable, "-m", "omnictl.cli"]
    assert words[3:] == ["--db", str(path), "--today", "2026-11-20T12:00:00", "tui", "--lang", "zh"]
    assert "http://127.0.0.1:8123" in result.stdout and "--host 0.0.0.0" in result.stdout


def test_sharing_on_the_network_says_where_and_that_there_is_no_login():
    line = serve.where_to_open("0.0.0.0", 8000)
    assert re.search(r"http://\S+:8000 for browsers on the local network", line)
    assert "no login" in line and "http://127.0.0.1:8000" in line


def test_without_textual_serve_one_sentence_says_how_to_install_it(cli, demo_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "textual_serve", None)
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    monkeypatch.delitem(sys.modules, "tui.web_server", raising=False)
    result = cli("--db", demo_file, "tui", "--serve", db=False)
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: the browser console needs textual-serve, which is not installed; "
        "install it with: pip install 'omnictl[serve]'"]


def test_a_port_in_use_or_out_of_range_is_one_sentence(cli, demo_file):
    needs_textual_serve()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("--db", demo_file, "tui", "--serve", "--port", port, db=False)
    assert result.code == 2
    assert result.stderr.strip() == f"Error: port {port} is in use on 127.0.0.1; choose another with --port"
    result = cli("--db", demo_file, "tui", "--serve", "--port", "70000", db=False)
    assert result.code == 2 and "Invalid value for '--port'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_database_is_refused_before_serving(cli, tmp_path):
    result = cli("--db", tmp_path / "none.db", "tui", "--serve", db=False)
    assert result.code == 2 and "no database" in result.stderr


def test_host_and_port_without_serve_are_refused(cli, demo_file):
    result = cli("--db", demo_file, "tui", "--port", "9000", db=False)
    assert result.code == 2
    assert result.stderr.strip() == "Error: --host and --port are for --serve (the console in a browser); add --serve"


async def first_screen(port: int, until: bytes) -> str:
    """Open a browser session's websocket and read the console's output until `until` shows."""
    import aiohttp

    seen = b""
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"http://127.0.0.1:{port}/ws?width=120&height=36") as websocket:
            deadline = time.monotonic() + 30
            while until not in ANSI.sub(b"", seen) and time.monotonic() < deadline:
                message = await asyncio.wait_for(websocket.receive(), timeout=30)
                if not isinstance(message.data, bytes):
                    break
                seen += message.data
    return ANSI.sub(b"", seen).decode("utf-8", "replace")


def test_a_browser_gets_the_page_and_a_session_runs_the_console(demo_file, tmp_path, monkeypatch):
    needs_textual_serve()
    import httpx

    monkeypatch.delenv("OMNICTL_TODAY")          # the session's date must come from --today
    path = tmp_path / "demo copy.db"
    shutil.copy(demo_file, path)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "omnictl.cli", "--db", str(path), "--today", "2026-11-25",
                               "tui", "--serve", "--port", str(port), "--lang", "zh"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    try:
        page = None
        deadline = time.monotonic() + 30
        while page is None and time.monotonic() < deadline and server.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            except httpx.TransportError:
                time.sleep(0.1)
        assert page is not None and page.status_code == 200, f"no page; server exit code {server.poll()}"
        assert "omnictl console" in page.text and f'"ws://127.0.0.1:{port}/ws"' in page.text
        # A browser that came by the network address is told to open the websocket there.
        shared = httpx.get(f"http://127.0.0.1:{port}/", headers={"Host": f"192.168.1.20:{port}"})
        assert f'"ws://192.168.1.20:{port}/ws"' in shared.text

        screen = asyncio.run(first_screen(port, "今天 2026-11-25".encode()))
        assert "今天 2026-11-25 · 2026-11-24 的指标" in screen       # the dashboard's title, in Chinese
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=15)
    assert server.returncode == 0
    assert "Traceback" not in err.decode() and err.decode().strip() == ""
    said = out.decode().splitlines()
    assert said[0].startswith(f"Console at http://127.0.0.1:{port}")
    assert re.fullmatch(r"\d\d:\d\d:\d\d browser session from 127.0.0.1 started \(1 open\)", said[1])
    assert re.fullmatch(r"\d\d:\d\d:\d\d browser session from 127.0.0.1 ended \(0 open\)", said[2])
