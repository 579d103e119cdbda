"""Real HTTP servers for tests: uvicorn in a thread, and a fault-injecting proxy for DaCHS."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support import DACHS_URL


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: Any, *, port: int | None = None) -> Iterator[str]:
    """Run ``app`` under a real uvicorn server on 127.0.0.1; yield its base URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@dataclass
class Fault:
    """What the proxy does to the requests of one route."""

    delay: float = 0.0
    status: int | None = None
    body: bytes | None = None


@dataclass
class DachsProxy:
    """Forwards ``/{route}/{path}`` to DaCHS ``/{path}``, injecting faults and counting.

    Routes are free names: ``/slow/tap`` and ``/fast/tap`` are two "archives"
    in front of the same DaCHS TAP service.
    """

    faults: dict[str, Fault] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: dict[str, int] = field(default_factory=dict)
    _current: dict[str, int] = field(default_factory=dict)
    _http: httpx.AsyncClient | None = None

    def count(self, route: str) -> int:
        """Requests received for ``route``."""
        return sum(1 for r, _ in self.requests if r == route)

    async def _handle(self, request: Request) -> Response:
        route = request.path_params["route"]
        path = request.path_params["path"]
        self.requests.append((route, path))
        self._current[route] = self._current.get(route, 0) + 1
        self.max_in_flight[route] = max(self.max_in_flight.get(route, 0), self._current[route])
        try:
            fault = self.faults.get(route, Fault())
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status is not None or fault.body is not None:
                return Response(fault.body or b"", status_code=fault.status or 200)
            body = await request.body()
            if self._http is None:
                self._http = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=200))
            upstream = await self._http.request(
                request.method,
                f"{DACHS_URL}/{path}",
                params=request.query_params.multi_items(),
                content=body,
                headers={"content-type": request.headers.get("content-type", "")},
            )
            return Response(
                upstream.content,
                status_code=upstream.status_code,
                media_type=upstream.headers.get("content-type"),
            )
        finally:
            self._current[route] -= 1

    def app(self) -> Starlette:
        """The proxy as an ASGI app."""

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            try:
                yield
            finally:
                if self._http is not None:
                    await self._http.aclose()
                    self._http = None

        return Starlette(
            routes=[Route("/{route}/{path:path}", self._handle, methods=["GET", "POST"])],
            lifespan=lifespan,
        )
