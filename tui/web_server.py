"""The web server behind `omnictl tui --serve`: textual-serve's, made to suit a shared console.

Imported only when textual-serve is installed (the `serve` extra).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiohttp import web
from textual_serve.server import Server

# Seconds a stop waits for open browser sessions to end their console processes.
SHUTDOWN_WAIT_S = 3.0


class ConsoleServer(Server):
    """Serves one console process per browser tab. `say` gets `announcement` once the port is open,
    then a line as each browser session starts and ends (there is no login: the operator sees who)."""

    def __init__(self, command: str, *, host: str, port: int, title: str, announcement: str,
                 say: Callable[[str], None]):
        super().__init__(command, host=host, port=port, title=title)
        self.announcement, self.say = announcement, say
        self.sessions: set[asyncio.Task] = set()

    async def on_startup(self, app: web.Application) -> None:
        """Say nothing yet (textual-serve prints a logo and the command here, before the port is open)."""

    async def on_shutdown(self, app: web.Application) -> None:
        """End every browser session now: each one tells its console process to quit and waits for it
        (aiohttp would otherwise wait for the sessions to end by themselves, then leave the consoles running)."""
        for session in list(self.sessions):
            session.cancel()
        await asyncio.gather(*self.sessions, return_exceptions=True)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        session = asyncio.current_task()
        self.sessions.add(session)
        self._log_session(request, "started")
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions.discard(session)
            self._log_session(request, "ended")

    def _log_session(self, request: web.Request, what: str) -> None:
        self.say(f"{time.strftime('%H:%M:%S')} browser session from {request.remote} {what} "
                 f"({len(self.sessions)} open)")

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        # The page tells the browser where the websocket is. The address the browser came by
        # reaches this server from this computer and from the network alike, where the listening
        # address would not (0.0.0.0). The parent reads it before its first await: no race.
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    def serve(self, debug: bool = False) -> None:
        """Serve until Ctrl+C or SIGTERM; an address that cannot be listened on raises OSError."""
        self.debug = debug
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        # A console told to quit on Ctrl+C may end just after the event loop closed; asyncio then
        # warns that its loop is gone (the process is reaped all the same): not worth a line.
        logging.getLogger("asyncio").setLevel(logging.ERROR)
        web.run_app(self._make_app(), host=self.host, port=self.port,
                    loop=asyncio.new_event_loop(),      # a fresh loop: the default one may be closed
                    access_log=None, shutdown_timeout=SHUTDOWN_WAIT_S,
                    print=lambda _banner: self.say(self.announcement))
