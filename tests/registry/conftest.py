"""A local RegTAP stand-in replaying recorded answers, and gateways over it and DaCHS.

RegTAP services cannot be reached from here: the stand-in serves a TAP
service's VOSI capabilities (recorded from DaCHS, the software GAVO's RegTAP
runs on) and answers /sync with VOTables recorded in RegTAP's documented
column layout (tests/data/regtap), chosen by what the ADQL asks for. The
client code is the one that talks to the real service (pyvo's registry module).
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import urllib.parse
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
from esap_graphql.context import ProcessContext
from esap_graphql.domain.archives import Protocol
from esap_graphql.factory import gateway_context
from esap_graphql.services.datalink import DataLinkService

DATA = Path(__file__).parent.parent / "data"
REGTAP_DATA = DATA / "regtap"
REGISTRY_CATALOGUE = DATA / "registry-catalogue.yaml"
DACHS_OAI = "http://localhost:8080/oai.xml"
CONE_IVOID = "ivo://esap.test/esapreg/q/cone"
LINKED_DID = "ivo://esap.test/linked?301"

# which recorded answer a query gets: the first rule whose text the ADQL holds
_RULES: tuple[tuple[str, str], ...] = (
    ("rr.res_role", "publishers.xml"),
    ("'brokenquery'", "error.xml"),
    ("'wrongcolumns'", "wrong-columns.xml"),
    ("'garbage'", "GARBAGE"),
    ("ivoid='ivo://astron.nl/tap'", "lookup-astron-tap.xml"),
    ("ivoid='ivo://evil.example/loopback'", "lookup-loopback.xml"),
    ("'lofar'", "search-lofar.xml"),
    ("'optical'", "search-optical.xml"),
)


@pytest.fixture(scope="session")
def dachs_registry(dachs: str) -> str:
    """DaCHS as this branch's setup-dachs.sh leaves it: fails (never skips) otherwise.

    The DaCHS server is shared: a setup script of another version re-imports
    the test resource without the DataLink rows and unpublishes the cone search.
    """
    problems = []
    oai = httpx.get(
        f"{dachs}/oai.xml",
        params={"verb": "GetRecord", "metadataPrefix": "ivo_vor", "identifier": CONE_IVOID},
        timeout=10,
    )
    if "<oai:setSpec>ivo_managed</oai:setSpec>" not in oai.text:
        problems.append("the cone search is not published to ivo_managed")
    links = httpx.get(f"{dachs}/esapreg/q/dl/dlmeta", params={"ID": LINKED_DID}, timeout=10)
    if links.status_code != 200 or "#preview" not in links.text:
        problems.append("the esaptest DataLink service or its rows are missing")
    if problems:
        pytest.fail(
            f"DaCHS is not set up for these tests ({'; '.join(problems)}): "
            "run scripts/setup-dachs.sh"
        )
    return dachs


@dataclass
class RegTapReplay:
    """The stand-in's URL and the ADQL it received."""

    url: str
    queries: list[str] = field(default_factory=list)


def _answer_for(query: str) -> bytes:
    lowered = query.lower()
    for needle, name in _RULES:
        if needle.lower() in lowered:
            if name == "GARBAGE":
                return b"<html><body>Service temporarily replaced by a teapot</body></html>"
            return (REGTAP_DATA / name).read_bytes()
    return (REGTAP_DATA / "empty.xml").read_bytes()


@pytest.fixture(scope="session")
def regtap() -> Iterator[RegTapReplay]:
    """The RegTAP stand-in, one per session, on an ephemeral localhost port."""
    state: RegTapReplay

    class Handler(BaseHTTPRequestHandler):
        def _send(self, body: bytes, content_type: str = "text/xml") -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if path.endswith("/capabilities"):
                self._send((REGTAP_DATA / "capabilities.xml").read_bytes())
            elif path.endswith("/sync"):
                self._sync(urllib.parse.parse_qs(query))
            else:
                self.send_error(404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            self._sync(form)

        def _sync(self, form: dict[str, list[str]]) -> None:
            query = (form.get("QUERY") or form.get("query") or [""])[0]
            state.queries.append(query)
            self._send(_answer_for(query), "application/x-votable+xml")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state = RegTapReplay(url=f"http://127.0.0.1:{server.server_address[1]}/tap")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()


OpenRegistryGateway = Callable[..., Awaitable[tuple[httpx.AsyncClient, ProcessContext]]]


@pytest.fixture
async def open_registry_gateway(
    tmp_path: Path, regtap: RegTapReplay
) -> AsyncIterator[OpenRegistryGateway]:
    """Open a gateway over the registry catalogue, RegTAP stand-in and DaCHS.

    Keyword arguments override the settings (private URLs are allowed by
    default: the test archive is on localhost); ``datalinks`` replaces the
    DataLink service.
    """
    async with contextlib.AsyncExitStack() as stack:
        opened = 0

        async def open_(
            *,
            connectors: dict[Protocol, Connector] | None = None,
            datalinks: DataLinkService | None = None,
            **overrides: Any,
        ) -> tuple[httpx.AsyncClient, ProcessContext]:
            nonlocal opened
            opened += 1
            values: dict[str, Any] = {
                "config": REGISTRY_CATALOGUE,
                "data_dir": tmp_path / f"data-{opened}",
                "query_timeout": 20,
                "regtap_url": regtap.url,
                "registry_timeout": 10,
                "registry_allow_private_urls": True,
                "registry_harvest": DACHS_OAI,
                **overrides,
            }
            settings = Settings(**values)
            process = await gateway_context(settings, connectors=connectors)
            stack.push_async_callback(process.aclose)
            if datalinks is not None:
                process = dataclasses.replace(process, datalinks=datalinks)
            manager = await stack.enter_async_context(
                LifespanManager(create_app(settings, process=process))
            )
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
                )
            )
            return client, process

        yield open_


async def graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """The data of a GraphQL answer; fails on transport errors."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
