"""`omnictl tui --serve`: the console in a web browser, for staff without a terminal.

textual-serve (the optional `serve` extra) serves a page that shows a terminal; each browser
tab that opens it starts its own console process (`omnictl tui`) over the same database, clock
and language as the server. There is no login: anyone who can reach the address can use it.
"""

from __future__ import annotations

import errno
import shlex
import socket
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from omnictl.errors import UsageError

TITLE = "omnictl console"
ALL_ADDRESSES = ("0.0.0.0", "::", "")
NOT_INSTALLED = ("the browser console needs textual-serve, which is not installed; "
                 "install it with: pip install 'omnictl[serve]'")


def console_command(db_path: Path, lang: str, today: datetime | None, python: str = sys.executable) -> str:
    """The shell command each browser session runs: the console on this database, clock and language."""
    words = [python, "-m", "omnictl.cli", "--db", str(Path(db_path).resolve())]
    if today is not None:
        words += ["--today", today.isoformat()]
    return shlex.join([*words, "tui", "--lang", lang])


def serve_console(db_path: Path, *, host: str, port: int, lang: str | None, today: datetime | None,
                  say: Callable[[str], None]) -> None:
    """Serve the console at http://host:port until Ctrl+C; `say` gets the address once it is open
    and a line as each browser session starts and ends."""
    try:
        from tui.web_server import ConsoleServer
    except ImportError:
        raise UsageError(NOT_INSTALLED) from None
    from tui.i18n import language_from_environment

    command = console_command(db_path, lang or language_from_environment(), today)
    server = ConsoleServer(command, host=host, port=port, title=TITLE,
                           announcement=where_to_open(host, port), say=say)
    try:
        server.serve()
    except OSError as err:
        raise UsageError(cannot_listen(host, port, err)) from None


def where_to_open(host: str, port: int) -> str:
    if host in ALL_ADDRESSES:
        return (f"Console at http://{_network_address()}:{port} for browsers on the local network "
                f"(http://127.0.0.1:{port} on this computer); there is no login, so anyone who reaches "
                "it can use it. Ctrl+C stops it.")
    url = f"http://{_url_host(host)}:{port}"
    if host in ("127.0.0.1", "localhost", "::1"):
        return (f"Console at {url}: open it in a browser on this computer (--host 0.0.0.0 shares it "
                "on the local network). Ctrl+C stops it.")
    return f"Console at {url}: open it in a browser. Ctrl+C stops it."


def cannot_listen(host: str, port: int, err: OSError) -> str:
    where = f"{_url_host(host)}:{port}"
    if err.errno == errno.EADDRINUSE:
        return f"port {port} is in use on {host or 'this computer'}; choose another with --port"
    if err.errno == errno.EACCES:
        return f"not allowed to listen on {where} (ports below 1024 need administrator rights); choose another --port"
    if err.errno == errno.EADDRNOTAVAIL or isinstance(err, socket.gaierror):
        return f"--host '{host}' is not an address of this computer; use 127.0.0.1 or 0.0.0.0"
    return f"cannot listen on {where}: {err.strerror or err}"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _network_address() -> str:
    """This computer's address on the network (the one its default route leaves by), else its name."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))       # a UDP connect sends nothing; it only picks the route
        return probe.getsockname()[0]
    except OSError:
        return socket.gethostname()
    finally:
        probe.close()
