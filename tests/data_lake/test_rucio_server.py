"""The Rucio connector through rucio-clients, against the real local Rucio server.

And against local servers that misbehave on purpose (garbage, errors, silence),
so the real client's failures are seen to become the project's typed errors.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from esap_graphql.connectors.rucio import RucioConnector
from esap_graphql.domain.archives import Dataset, Protocol
from esap_graphql.domain.data_lake import ArchiveAuthenticationFailed, RucioSettings
from esap_graphql.domain.errors import (
    ArchiveFailure,
    ArchiveTimeout,
    ArchiveUnreachable,
    MalformedResponse,
)
from tests.data_lake.support import validate
from tests.rucio_server import (
    DISK_RSE,
    LOFAR_DATASET,
    LOFAR_FILES,
    PASSWORD,
    USERNAME,
    WEB_PREFIX,
    WEB_RSE,
)

pytestmark = pytest.mark.rucio

ENV = {"U": USERNAME, "P": PASSWORD}


def real_lake(url: str, **settings: Any) -> Dataset:
    values: dict[str, Any] = {
        "auth_host": url,
        "account": "root",
        "username_env": "U",
        "password_env": "P",
        "default_scope": "lofar",
        **settings,
    }
    return Dataset(
        id="lake",
        archive_id="a",
        name="The test data lake",
        protocol=Protocol.RUCIO,
        access_url=url,
        timeout=10,
        rucio=RucioSettings(**values),
    )


async def test_a_search_finds_the_files_with_their_checksums_and_replicas(
    rucio_server: str,
) -> None:
    rucio = RucioConnector(environ=ENV)
    try:
        result = await rucio.query(
            real_lake(rucio_server), validate(target="L700123_SB*"), limit=100, timeout=10
        )
    finally:
        await rucio.aclose()
    by_id = {r.id: r for r in result.records}
    assert sorted(by_id) == sorted(f"lofar:{f.name}" for f in LOFAR_FILES)
    for seeded in LOFAR_FILES:
        record = by_id[f"lofar:{seeded.name}"]
        assert (record.title, record.collection) == (seeded.name, "lofar")
        assert record.size_bytes == seeded.size
        assert record.fields["adler32"] == seeded.adler32
        assert record.fields["md5"] == seeded.md5
        assert {r["rse"]: r["pfn"] for r in record.fields["replicas"]} == {
            DISK_RSE: f"file://localhost{seeded.path}",
            WEB_RSE: f"{WEB_PREFIX}/lofar/{seeded.name}",
        }
        # the access URL is a real file holding the registered bytes
        assert record.access_url == f"file://localhost{seeded.path}"
        local = Path(unquote(record.access_url.removeprefix("file://localhost")))
        content = await asyncio.to_thread(local.read_bytes)
        assert f"{zlib.adler32(content) & 0xFFFFFFFF:08x}" == seeded.adler32
    assert not result.overflow
    assert "/dids/lofar/dids/search?" in result.native_query


async def test_the_preferred_scheme_gives_the_access_url(rucio_server: str) -> None:
    rucio = RucioConnector(environ=ENV)
    try:
        result = await rucio.query(
            real_lake(rucio_server, schemes=("https",)),
            validate(target=LOFAR_FILES[0].name),
            limit=10,
            timeout=10,
        )
    finally:
        await rucio.aclose()
    (record,) = result.records
    assert record.access_url == f"{WEB_PREFIX}/lofar/{LOFAR_FILES[0].name}"
    # the server was asked for https replicas only
    assert [r["rse"] for r in record.fields["replicas"]] == [WEB_RSE]


async def test_a_dataset_identifier_comes_without_replicas(rucio_server: str) -> None:
    rucio = RucioConnector(environ=ENV)
    try:
        result = await rucio.query(
            real_lake(rucio_server), validate(target="L700123_SAP*"), limit=10, timeout=10
        )
    finally:
        await rucio.aclose()
    (record,) = result.records
    assert record.id == f"lofar:{LOFAR_DATASET}"
    assert record.fields["did_type"] == "DATASET"
    assert (record.access_url, record.fields["replicas"]) == (None, [])


async def test_the_record_limit_overflows_and_other_scopes_are_searched(
    rucio_server: str,
) -> None:
    rucio = RucioConnector(environ=ENV)
    try:
        capped = await rucio.query(real_lake(rucio_server), validate(), limit=3, timeout=10)
        apertif = await rucio.query(
            real_lake(rucio_server),
            validate(collection="apertif", target="*_cube.fits"),
            limit=10,
            timeout=10,
        )
        nothing = await rucio.query(
            real_lake(rucio_server), validate(collection="nosuchscope"), limit=10, timeout=10
        )
    finally:
        await rucio.aclose()
    assert (len(capped.records), capped.overflow) == (3, True)
    assert [r.id for r in apertif.records] == [
        "apertif:WSRTA190101_B000_cube.fits",
        "apertif:WSRTA190101_B001_cube.fits",
    ]
    assert nothing.records == ()


async def test_scopes_are_listed(rucio_server: str) -> None:
    rucio = RucioConnector(environ=ENV)
    try:
        scopes = await rucio.scopes(real_lake(rucio_server), timeout=10)
    finally:
        await rucio.aclose()
    assert {"apertif", "lofar"} <= set(scopes)
    assert list(scopes) == sorted(scopes)


async def test_a_wrong_password_is_an_authentication_failure_that_never_shows_it(
    rucio_server: str,
) -> None:
    rucio = RucioConnector(environ={"U": USERNAME, "P": "not-the-password"})
    try:
        with pytest.raises(ArchiveAuthenticationFailed) as raised:
            await rucio.query(real_lake(rucio_server), validate(), limit=10, timeout=10)
    finally:
        await rucio.aclose()
    error = raised.value
    assert (error.code, error.status, error.url) == (
        "archive_authentication_failed",
        401,
        rucio_server,
    )
    assert "authentication failed" in error.message
    assert "Cannot authenticate to account root" in error.message
    assert "not-the-password" not in error.message


async def test_a_missing_credential_variable_is_named(rucio_server: str) -> None:
    rucio = RucioConnector(environ={"U": USERNAME})
    try:
        with pytest.raises(ArchiveAuthenticationFailed, match="environment variable P is not set"):
            await rucio.query(real_lake(rucio_server), validate(), limit=10, timeout=10)
    finally:
        await rucio.aclose()


async def test_a_server_nobody_runs_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, never listening
        rucio = RucioConnector(environ=ENV)
        try:
            with pytest.raises(ArchiveUnreachable) as raised:
                await rucio.query(real_lake(url), validate(), limit=10, timeout=10)
        finally:
            await rucio.aclose()
    assert raised.value.url == url


@dataclass
class FakeRucio:
    """A local HTTP server speaking just enough Rucio: a token, then the answer given."""

    url: str
    status: int = 200
    content_type: str = "application/x-json-stream"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def fake_rucio() -> Iterator[FakeRucio]:
    state: FakeRucio

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.paths.append(self.path)
            if self.path.startswith("/auth/userpass"):
                self.send_response(200)
                self.send_header("X-Rucio-Auth-Token", "root-esap-fake-token")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(state.status)
            self.send_header("Content-Type", state.content_type)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state = FakeRucio(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


async def test_an_answer_of_the_wrong_shape_is_malformed(fake_rucio: FakeRucio) -> None:
    fake_rucio.body = b'{"scope": "lofar", "name": 42, "did_type": "FILE"}\n'
    rucio = RucioConnector(environ=ENV)
    try:
        with pytest.raises(MalformedResponse, match=r"dids\[0\]\.name: expected a string"):
            await rucio.query(real_lake(fake_rucio.url), validate(), limit=10, timeout=10)
    finally:
        await rucio.aclose()
    assert any(p.startswith("/dids/lofar/dids/search?") for p in fake_rucio.paths)


async def test_an_answer_that_is_not_json_is_malformed(fake_rucio: FakeRucio) -> None:
    fake_rucio.body = b"<html>maintenance</html>\n{not json\n"
    rucio = RucioConnector(environ=ENV)
    try:
        with pytest.raises(MalformedResponse, match="unreadable answer"):
            await rucio.query(real_lake(fake_rucio.url), validate(), limit=10, timeout=10)
    finally:
        await rucio.aclose()


async def test_an_error_answer_is_a_failure_with_a_sanitised_message(
    fake_rucio: FakeRucio,
) -> None:
    fake_rucio.status = 409
    fake_rucio.content_type = "application/json"
    long_detail = "x" * 1000
    fake_rucio.body = (
        b'{"ExceptionClass": "DatabaseException", "ExceptionMessage": '
        b'"db down\\n\\u001b[31m at host ' + long_detail.encode() + b'"}'
    )
    rucio = RucioConnector(environ=ENV)
    try:
        with pytest.raises(ArchiveFailure) as raised:
            await rucio.query(real_lake(fake_rucio.url), validate(), limit=10, timeout=10)
    finally:
        await rucio.aclose()
    reason = raised.value.reason
    assert "db down" in reason
    assert "\n" not in reason
    assert "\x1b" not in reason
    assert len(reason) <= 200


async def test_a_server_that_never_answers_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts connections, never answers
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    rucio = RucioConnector(environ=ENV)
    try:
        with pytest.raises(ArchiveTimeout) as raised:
            await rucio.query(real_lake(url), validate(), limit=10, timeout=0.5)
    finally:
        await rucio.aclose()
        listener.close()
    assert raised.value.seconds == 0.5
