"""HTTP exchanges with archives: the egress policy, bounded memory, timeouts and error
translation in one place.

An answer is read as it arrives, decompressed here in bounded steps (so a small gzip bomb
cannot expand at once), counted against a cap per answer and against one budget for every
answer in flight in the process, and released when the caller has read it. Redirects are
followed by hand, and only where the egress policy lets them go.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from esap_graphql.connectors.answer_budget import AnswerBudget
from esap_graphql.connectors.egress import EgressPolicy, EgressRefused, guarded_transport
from esap_graphql.connectors.follow_up import followable
from esap_graphql.domain.errors import (
    ArchiveFailure,
    ArchiveTimeout,
    ArchiveUnreachable,
    MalformedResponse,
)
from esap_graphql.json_encoding import loads
from esap_graphql.telemetry.archive_calls import TransportWrapper

#: Largest answer read from an archive by default; a larger one is refused, not truncated.
MAX_RESPONSE_BYTES = 256 * 1024 * 1024
#: Redirects followed for one request (each within the egress policy).
MAX_REDIRECTS = 5
#: Most bytes one decompression step may produce.
_STEP = 64 * 1024
#: Content codings we ask for, and decode ourselves.
ACCEPT_ENCODING = "gzip, deflate"

_INFO_ERROR = re.compile(
    rb"<INFO[^>]*name=\"QUERY_STATUS\"[^>]*value=\"ERROR\"[^>]*>(.*?)</INFO>", re.S | re.I
)
_NOT_TEXT = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>?")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]+")


def _clean(text: str, limit: int = 300) -> str:
    return " ".join(_UNPRINTABLE.sub(" ", text).split())[:limit]


def error_text(body: bytes) -> str:
    """The service's own explanation, from a VOTable error document, a JSON error's message or
    the body's words: one line of printable text, at most 300 characters, never markup."""
    match = _INFO_ERROR.search(body[: 1024 * 1024])
    if match:
        words = html.unescape(_TAG.sub(" ", match.group(1).decode("utf-8", "replace")))
        return _clean(words) or "query failed"
    if body[:1].strip() in (b"{", b""):
        message = _json_message(body)
        if message:
            return message
    # An HTML error page spends its first bytes on <head>: read further, drop
    # scripts, styles and tags (a tag cut off at the end too), keep the words.
    text = body[:8192].decode("utf-8", "replace")
    text = _NOT_TEXT.sub(" ", text)
    return _clean(html.unescape(_TAG.sub(" ", text))) or "no explanation given"


def _json_message(body: bytes) -> str | None:
    """The message of a JSON error document (a REST archive's), if it has one."""
    try:
        data = loads(body[:65536])
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict):
        for key in ("message", "detail", "error", "errors", "error_description"):
            value = data.get(key)
            if value:
                return _clean(str(value))
    return None


class _Decoder:
    """Content-Encoding decoding in steps of at most ``_STEP`` bytes."""

    def __init__(self, encoding: str, url: str) -> None:
        coding = encoding.strip().lower()
        self._url = url
        if coding in ("", "identity"):
            self._wbits: int | None = None
        elif coding in ("gzip", "x-gzip"):
            self._wbits = 16 + zlib.MAX_WBITS
        elif coding == "deflate":
            self._wbits = zlib.MAX_WBITS
        else:
            raise MalformedResponse(url, f"unsupported content encoding {coding[:20]!r}")
        self._zlib = zlib.decompressobj(self._wbits) if self._wbits is not None else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of ``data``, in pieces of at most ``_STEP`` bytes (a generator:
        the caller counts each piece before the next one is made)."""
        if self._zlib is None or self._wbits is None:
            yield data
            return
        try:
            while data:
                yield self._zlib.decompress(data, _STEP)
                data = self._zlib.unconsumed_tail
                if self._zlib.eof and self._zlib.unused_data:  # gzip members may follow
                    data = self._zlib.unused_data
                    self._zlib = zlib.decompressobj(self._wbits)
        except zlib.error as exc:
            raise MalformedResponse(self._url, "the compressed answer is corrupt") from exc


#: Receives an answer's decoded bytes piece by piece (a file being written).
Sink = Callable[[bytes], Awaitable[None]]


class _Answer:
    """An answer being read: its bytes so far (or where they go), and what they hold of the
    budget."""

    def __init__(
        self, url: str, max_bytes: int, budget: AnswerBudget | None, sink: Sink | None = None
    ) -> None:
        self.url = url
        self.max_bytes = max_bytes
        self.budget = budget
        self.ticket = budget.ticket() if budget is not None else 0
        self.sink = sink
        self.size = 0
        self.held = 0
        self.body = bytearray()

    async def add(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size > self.max_bytes:
            raise MalformedResponse(self.url, f"answer exceeds {self.max_bytes} bytes")
        if self.sink is not None:
            await self.sink(piece)
            return
        if self.budget is not None and piece:
            await self.budget.take(self.ticket, len(piece), self.url)
            self.held += len(piece)
        # one growing buffer, not a list of chunks: a large bytearray lives in its own
        # mapping, which the allocator gives back to the system when it is freed
        self.body += piece

    async def release(self) -> None:
        if self.budget is not None and self.held:
            await self.budget.give_back(self.ticket)
        self.held = 0


async def _read(response: httpx.Response, answer: _Answer) -> None:
    length = response.headers.get("content-length")
    encoding = response.headers.get("content-encoding", "")
    # an announced length is of the encoded body: only an unencoded one tells the size
    if length is not None and length.isdigit() and not encoding and int(length) > answer.max_bytes:
        raise MalformedResponse(
            answer.url, f"answer of {int(length)} bytes exceeds {answer.max_bytes}"
        )
    if response.is_stream_consumed:  # an answer built in memory (httpx.MockTransport)
        await answer.add(response.content)
        return
    decoder = _Decoder(encoding, answer.url)
    async for raw in response.aiter_raw(_STEP):
        for piece in decoder.feed(raw):
            await answer.add(piece)


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: the URL it finally came from, its headers, its body."""

    url: str
    headers: httpx.Headers
    body: bytes


@contextlib.asynccontextmanager
async def exchange(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float,
    max_bytes: int = MAX_RESPONSE_BYTES,
    budget: AnswerBudget | None = None,
    policy: EgressPolicy | None = None,
    service_url: str | None = None,
) -> AsyncIterator[Answer]:
    """The successful answer, its body held (and counted against ``budget``) until the block
    ends; raise an ``ArchiveError`` subclass otherwise.

    The whole exchange, redirects included, has one deadline of ``timeout`` seconds; redirects
    go only where the policy lets the service at ``service_url`` (default: ``url``) send us.
    A 4xx/5xx answer becomes ``ArchiveFailure`` carrying the service's own explanation.
    """
    read = _Answer(url, max_bytes, budget)
    try:
        response = await _exchange(
            http, method, url, params, data, headers, timeout, read, policy, service_url or url
        )
        if response.status_code >= 400:
            reason = error_text(bytes(read.body[:65536]))
            raise ArchiveFailure(read.url, reason, status=response.status_code)
        # one copy as bytes (hashable, what the parsers take); the buffer goes at once, so
        # the answer is held twice only for the time of the copy
        body = bytes(read.body)
        read.body = bytearray()
        yield Answer(url=read.url, headers=response.headers, body=body)
    finally:
        await read.release()
        read.body = bytearray()


@contextlib.asynccontextmanager
async def answer(
    http: httpx.AsyncClient, method: str, url: str, **options: Any
) -> AsyncIterator[bytes]:
    """The body of a successful answer (``exchange`` for callers that need only the body)."""
    async with exchange(http, method, url, **options) as got:
        yield got.body


async def _exchange(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    params: Mapping[str, str] | None,
    data: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
    timeout: float,
    read: _Answer,
    policy: EgressPolicy | None,
    service_url: str,
) -> httpx.Response:
    """Send the request, follow redirects the policy allows, read the final answer."""
    request_timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
    sent = {**(headers or {}), "Accept-Encoding": ACCEPT_ENCODING}
    async with _translated(url, timeout):
        request = http.build_request(
            method, url, params=params, data=data, headers=sent, timeout=request_timeout
        )
        for _ in range(MAX_REDIRECTS + 1):
            read.url = str(request.url)
            response = await http.send(request, stream=True, follow_redirects=False)
            try:
                target = response.next_request if response.is_redirect else None
                if target is None:
                    await _read(response, read)
                    return response
            finally:
                await response.aclose()
            location = str(target.url)
            if followable(location, base=read.url, configured=service_url, policy=policy) is None:
                raise ArchiveFailure(url, "redirected to another host; not followed")
            request = target
        raise ArchiveFailure(url, "too many redirects")


@contextlib.asynccontextmanager
async def _translated(url: str, timeout: float) -> AsyncIterator[None]:
    """One deadline of ``timeout`` seconds for the block; httpx's errors as ``ArchiveError``."""
    try:
        async with asyncio.timeout(timeout):
            yield
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise ArchiveTimeout(url, timeout) from exc
    except httpx.ConnectError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, EgressRefused):
            raise ArchiveUnreachable(url, f"refused by the egress policy ({cause})") from exc
        raise ArchiveUnreachable(url, _clean(str(exc)) or type(exc).__name__) from exc
    except (httpx.NetworkError, httpx.ProxyError) as exc:
        raise ArchiveUnreachable(url, _clean(str(exc)) or type(exc).__name__) from exc
    except httpx.HTTPError as exc:
        raise ArchiveUnreachable(url, type(exc).__name__) from exc


async def download(
    http: httpx.AsyncClient,
    url: str,
    sink: Sink,
    *,
    timeout: float,
    max_bytes: int,
    policy: EgressPolicy | None = None,
) -> int:
    """Stream a successful answer's decoded bytes to ``sink`` (never whole in memory): at most
    ``max_bytes`` within ``timeout`` seconds. The number of bytes; raise an ``ArchiveError``."""
    read = _Answer(url, max_bytes, None, sink)
    response = await _exchange(http, "GET", url, None, None, None, timeout, read, policy, url)
    if response.status_code >= 400:
        raise ArchiveFailure(url, f"HTTP {response.status_code}", status=response.status_code)
    return read.size


async def request_once(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    data: Mapping[str, str] | None = None,
    timeout: float,
    max_bytes: int,
) -> tuple[int, httpx.Headers, bytes]:
    """One request, redirects not followed: (status, headers, body of at most ``max_bytes``),
    within one deadline of ``timeout`` seconds; raise an ``ArchiveError`` subclass."""
    read = _Answer(url, max_bytes, None)
    headers = {"Accept-Encoding": ACCEPT_ENCODING}
    async with (
        _translated(url, timeout),
        http.stream(method, url, data=data, headers=headers) as response,
    ):
        await _read(response, read)
    return response.status_code, response.headers, bytes(read.body)


async def fetch(http: httpx.AsyncClient, method: str, url: str, **options: Any) -> bytes:
    """The body of a successful answer (``answer`` for a small document that is read at once)."""
    async with answer(http, method, url, **options) as body:
        return body


class AnswerCookies(httpx.Cookies):
    """httpx's cookies of a client, read from an answer only when it sets one.

    httpx hands every answer to the standard library's cookie jar, wrapping the request and
    the answer in urllib's shapes first (about 25 µs of an exchange's 0.4 ms); the jar reads
    nothing but the ``Set-Cookie`` and ``Set-Cookie2`` headers, which archive answers almost
    never carry. Kept cookies and the ``Cookie`` header sent are httpx's own (tested).
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def lazy_cookies(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """``client``, its cookies read from an answer only when it sets one (``AnswerCookies``)."""
    # httpx's ``cookies`` setter copies into a plain ``Cookies``: the jar is swapped in place
    client._cookies = AnswerCookies(client.cookies.jar)
    return client


class ServiceClients:
    """HTTP clients, one connection pool per archive service, every one behind the egress policy.

    One pool for every archive would do: but httpcore scans all of a pool's
    connections for each request it places, which grew to most of the CPU
    time of a 50-archive multi-query. A small pool per service keeps that
    scan short and caps each archive's connections at its concurrency bound.

    The pools share one TLS context: building one loads the CA bundle (about
    35 ms, on the event loop), which a first multi-query over 50 archives
    would otherwise pay 50 times.
    """

    def __init__(
        self,
        *,
        timeout: httpx.Timeout,
        per_service: int,
        headers: Mapping[str, str] | None = None,
        shared: httpx.AsyncClient | None = None,
        ssl_context: ssl.SSLContext | None = None,
        policy: EgressPolicy | None = None,
        budget: AnswerBudget | None = None,
        max_answer_bytes: int = MAX_RESPONSE_BYTES,
        observe: TransportWrapper | None = None,
    ) -> None:
        self._timeout = timeout
        self._observe = observe  # metrics and traces of each request (telemetry)
        self._ssl_context = ssl_context
        self._per_service = per_service
        self._headers = dict(headers or {})
        self._shared = shared
        self._clients: dict[str, httpx.AsyncClient] = {}
        self.policy = policy
        self.budget = budget
        self.max_answer_bytes = max_answer_bytes

    @classmethod
    def sharing(cls, client: httpx.AsyncClient) -> ServiceClients:
        """Every service through one existing client (which its owner closes)."""
        return cls(timeout=client.timeout, per_service=1, shared=client)

    def for_service(self, service_key: str) -> httpx.AsyncClient:
        """The client for one service (created on first use)."""
        if self._shared is not None:
            return self._shared
        client = self._clients.get(service_key)
        if client is None:
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()
            limits = httpx.Limits(
                max_connections=self._per_service, max_keepalive_connections=self._per_service
            )
            transport: httpx.AsyncBaseTransport = (
                guarded_transport(self.policy, ssl_context=self._ssl_context, limits=limits)
                if self.policy is not None
                else httpx.AsyncHTTPTransport(verify=self._ssl_context, limits=limits)
            )
            if self._observe is not None:
                transport = self._observe(transport, service_key)
            client = self._clients[service_key] = lazy_cookies(
                httpx.AsyncClient(
                    transport=transport,
                    timeout=self._timeout,
                    headers=self._headers,
                    follow_redirects=False,
                )
            )
        return client

    def answer(
        self, service_key: str, method: str, url: str, **options: Any
    ) -> contextlib.AbstractAsyncContextManager[bytes]:
        """``answer`` through the service's client, with this process's policy and budget."""
        options.setdefault("max_bytes", self.max_answer_bytes)
        return answer(
            self.for_service(service_key),
            method,
            url,
            budget=self.budget,
            policy=self.policy,
            **options,
        )

    def exchange(
        self, service_key: str, method: str, url: str, **options: Any
    ) -> contextlib.AbstractAsyncContextManager[Answer]:
        """``exchange`` through the service's client, with this process's policy and budget."""
        options.setdefault("max_bytes", self.max_answer_bytes)
        return exchange(
            self.for_service(service_key),
            method,
            url,
            budget=self.budget,
            policy=self.policy,
            **options,
        )

    async def fetch(self, service_key: str, method: str, url: str, **options: Any) -> bytes:
        """``fetch`` through the service's client, with this process's policy and budget."""
        async with self.answer(service_key, method, url, **options) as body:
            return body

    async def aclose(self) -> None:
        """Close the clients this object created."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
