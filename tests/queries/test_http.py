"""HTTP failures become the right ArchiveError, with the archive's own words where it gave any."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from esap_graphql.connectors.http import AnswerCookies, ServiceClients, fetch, lazy_cookies
from esap_graphql.domain.errors import (
    ArchiveFailure,
    ArchiveTimeout,
    ArchiveUnreachable,
    MalformedResponse,
)
from tests.support import DATA

URL = "http://archive.test/tap/sync"
VOTABLES = DATA / "votables"


def client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_success_returns_the_body_and_sends_the_parameters() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"<VOTABLE/>")

    async with client(handler) as http:
        body = await fetch(http, "POST", URL, data={"QUERY": "SELECT 1"}, timeout=5)
    assert body == b"<VOTABLE/>"
    assert seen[0].method == "POST"
    assert seen[0].content == b"QUERY=SELECT+1"


async def test_votable_error_document_gives_the_archives_message() -> None:
    error = (VOTABLES / "tap-error.xml").read_bytes()
    async with client(lambda r: httpx.Response(400, content=error)) as http:
        with pytest.raises(ArchiveFailure) as caught:
            await fetch(http, "POST", URL, timeout=5)
    assert caught.value.status == 400
    assert caught.value.url == URL
    assert caught.value.message == (
        f"archive at {URL} reported an error: HTTP 400: "
        "Field query: Could not locate table 'ivoa.nosuchtable'"
    )


async def test_html_error_page_gives_its_words_not_its_markup() -> None:
    page = (VOTABLES / "html-error.html").read_bytes()
    async with client(lambda r: httpx.Response(404, content=page)) as http:
        with pytest.raises(ArchiveFailure) as caught:
            await fetch(http, "GET", URL, timeout=5)
    assert caught.value.status == 404
    assert "ESAP test archive -- Not Found (404)" in caught.value.reason
    assert "<" not in caught.value.reason
    assert "script" not in caught.value.reason
    assert len(caught.value.reason) <= 300


async def test_empty_error_body() -> None:
    async with client(lambda r: httpx.Response(502)) as http:
        with pytest.raises(ArchiveFailure, match="HTTP 502: no explanation given"):
            await fetch(http, "GET", URL, timeout=5)


async def test_connection_refused_is_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    async with client(refuse) as http:
        with pytest.raises(ArchiveUnreachable, match="Connection refused") as caught:
            await fetch(http, "GET", URL, timeout=5)
    assert caught.value.url == URL


async def test_read_timeout_is_a_timeout() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with client(slow) as http:
        with pytest.raises(ArchiveTimeout) as caught:
            await fetch(http, "GET", URL, timeout=1.5)
    assert caught.value.seconds == 1.5


async def test_too_large_answer_is_refused() -> None:
    async with client(lambda r: httpx.Response(200, content=b"x" * 2000)) as http:
        with pytest.raises(MalformedResponse, match="exceeds 1000"):
            await fetch(http, "GET", URL, timeout=5, max_bytes=1000)


async def test_too_large_announced_length_is_refused_before_reading() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": "5000"}, content=b"x" * 5000)

    async with client(handler) as http:
        with pytest.raises(MalformedResponse, match="answer of 5000 bytes exceeds 1000"):
            await fetch(http, "GET", URL, timeout=5, max_bytes=1000)


async def test_too_many_redirects_is_a_failure() -> None:
    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": URL})

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(loop), follow_redirects=True, max_redirects=3
    ) as http:
        with pytest.raises(ArchiveFailure, match="too many redirects"):
            await fetch(http, "GET", URL, timeout=5)


async def test_service_pools_share_one_tls_context() -> None:
    clients = ServiceClients(timeout=httpx.Timeout(5), per_service=2)
    try:
        first, second = clients.for_service("https://a.test"), clients.for_service("https://b.test")
        assert first is not second
        assert clients.for_service("https://a.test") is first
        contexts = {id(c._transport._pool._ssl_context) for c in (first, second)}  # type: ignore[attr-defined]
        assert len(contexts) == 1
    finally:
        await clients.aclose()


async def test_answer_cookies_keep_and_send_what_httpx_does() -> None:
    """Cookies are read only from answers that set one: what is kept and sent back is
    exactly what a plain httpx client keeps and sends."""
    answers = [
        httpx.Response(200, content=b"a"),
        httpx.Response(200, headers={"Set-Cookie": "session=abc; Path=/tap"}, content=b"b"),
        httpx.Response(200, content=b"c"),
        httpx.Response(
            200,
            headers=[
                ("Set-Cookie", "other=1; Path=/"),
                ("Set-Cookie", "gone=x; Max-Age=0"),
                ("Set-Cookie", "elsewhere=2; Domain=other.test"),
            ],
            content=b"d",
        ),
        httpx.Response(200, headers={"Set-Cookie2": 'v2=3; Version="1"'}, content=b"e"),
        httpx.Response(200, content=b"f"),
    ]
    paths = ["/tap/sync", "/tap/sync", "/tap/async", "/tap/sync", "/", "/tap/sync"]

    async def run(http: httpx.AsyncClient) -> tuple[list[str | None], list[tuple[str, str | None]]]:
        sent: list[str | None] = []
        replies = iter(answers)

        def handler(request: httpx.Request) -> httpx.Response:
            sent.append(request.headers.get("cookie"))
            return next(replies)

        http._transport = httpx.MockTransport(handler)
        async with http:
            for path in paths:
                await http.get(f"http://archive.test{path}")
        return sent, sorted((c.name, c.value) for c in http.cookies.jar)

    plain = await run(httpx.AsyncClient())
    lazy = await run(lazy_cookies(httpx.AsyncClient()))
    assert lazy == plain
    assert plain[0][2] == "session=abc"  # the test does exercise the jar
    assert isinstance(lazy_cookies(httpx.AsyncClient()).cookies, AnswerCookies)


async def test_service_clients_read_cookies_lazily() -> None:
    clients = ServiceClients(timeout=httpx.Timeout(5), per_service=1)
    try:
        assert isinstance(clients.for_service("archive").cookies, AnswerCookies)
    finally:
        await clients.aclose()
