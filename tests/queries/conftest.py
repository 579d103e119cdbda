"""Gateways built per test with their own settings or catalogue, and a local misbehaving archive."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.connectors.base import Connector
from esap_graphql.domain.archives import Protocol
from esap_graphql.factory import gateway_context
from tests.support import DACHS_CATALOGUE, NO_SESAME

OpenGateway = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def open_gateway(tmp_path: Path) -> AsyncIterator[OpenGateway]:
    """Open a gateway client: ``await open_gateway(catalogue_text=..., max_records=5)``.

    Settings default to the DaCHS test catalogue; keyword arguments override
    them. ``catalogue_text`` replaces the catalogue; ``connectors`` replaces
    the real connectors.
    """
    async with contextlib.AsyncExitStack() as stack:
        opened = 0

        async def open_(
            *,
            catalogue_text: str | None = None,
            connectors: dict[Protocol, Connector] | None = None,
            **overrides: Any,
        ) -> httpx.AsyncClient:
            nonlocal opened
            opened += 1
            config = DACHS_CATALOGUE
            if catalogue_text is not None:
                config = tmp_path / f"catalogue-{opened}.yaml"
                config.write_text(catalogue_text, encoding="utf-8")
            values: dict[str, Any] = {
                "config": config,
                "data_dir": tmp_path / f"data-{opened}",
                "query_timeout": 20,
                "sesame_urls": NO_SESAME,
                **overrides,
            }
            settings = Settings(**values)
            process = await gateway_context(settings, connectors=connectors)
            stack.push_async_callback(process.aclose)
            manager = await stack.enter_async_context(
                LifespanManager(create_app(settings, process=process))
            )
            return await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app),
                    base_url="http://localhost",
                )
            )

        yield open_


@dataclass
class FakeArchive:
    """A local HTTP server that answers every GET/POST as told (delay, status, body)."""

    url: str
    delay: float = 0.0
    status: int = 200
    body: bytes = b""
    content_type: str = "text/xml"
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def fake_archive() -> Iterator[FakeArchive]:
    """A misbehaving archive on an ephemeral localhost port."""
    state: FakeArchive

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            state.requests.append(self.path)
            if state.delay:
                state.release.wait(state.delay)
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", state.content_type)
                self.send_header("Content-Length", str(len(state.body)))
                self.end_headers()
                self.wfile.write(state.body)
            except OSError:
                pass  # the gateway gave up and closed the connection

        do_GET = _answer
        do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    state = FakeArchive(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
