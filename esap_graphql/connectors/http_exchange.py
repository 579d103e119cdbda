"""One GET to a JSON or XML web service: timeout, size cap, memory budget, checked redirects.

Unlike ``connectors.http.answer`` (VO services), it sends the caller's headers (a REST
archive's ``Accept`` or credentials), hands back the final URL and the answer's headers
(a next page may be in a ``Link`` header), and follows redirects itself through
``follow_up.follow_up_url`` (the egress policy), like every URL an answer names. The
answer is asked for and read uncompressed (``Accept-Encoding: identity``; a compressed
one is refused), counted against its cap as it arrives, and held against the process's
budget (``AnswerBudget``) until the caller's block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import httpx

from esap_graphql.connectors.answer_budget import AnswerBudget
from esap_graphql.connectors.egress import EgressPolicy, EgressRefused
from esap_graphql.connectors.follow_up import follow_up_url
from esap_graphql.domain.errors import (
    ArchiveFailure,
    ArchiveTimeout,
    ArchiveUnreachable,
    MalformedResponse,
)
from esap_graphql.json_encoding import loads

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TAG = re.compile(r"<[^>]*>?")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]+")


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: where it came from, its headers and its body."""

    url: str
    headers: httpx.Headers
    body: bytes


def _clean(text: str) -> str:
    return " ".join(_UNPRINTABLE.sub(" ", text).split())[:300]


def _reason(body: bytes) -> str:
    """The service's own explanation: a JSON error message, or the body's words."""
    try:
        data = loads(body[:65536])
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        for key in ("message", "detail", "error", "errors", "error_description"):
            value = data.get(key)
            if value:
                return _clean(str(value))
    text = body[:8192].decode("utf-8", "replace")
    return _clean(html.unescape(_TAG.sub(" ", text))) or "no explanation given"


class _Held:
    """The bytes of one answer, counted against its cap and the process budget."""

    def __init__(self, url: str, max_bytes: int, budget: AnswerBudget | None) -> None:
        self.url = url
        self.max_bytes = max_bytes
        self.budget = budget
        # the answer's place in the budget's order (its redirects keep it)
        self.ticket = budget.ticket() if budget is not None else 0
        self.body = bytearray()

    async def add(self, piece: bytes) -> None:
        if len(self.body) + len(piece) > self.max_bytes:
            raise MalformedResponse(self.url, f"answer exceeds {self.max_bytes} bytes")
        if self.budget is not None and piece:
            await self.budget.take(self.ticket, len(piece), self.url)
        self.body += piece

    async def release(self) -> None:
        if self.budget is not None:
            await self.budget.give_back(self.ticket)
        self.body = bytearray()


async def _read(
    client: httpx.AsyncClient, url: str, headers: Mapping[str, str], held: _Held
) -> httpx.Response:
    async with client.stream("GET", url, headers=headers, follow_redirects=False) as response:
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > held.max_bytes:
            raise MalformedResponse(url, f"answer of {int(length)} bytes exceeds {held.max_bytes}")
        coding = response.headers.get("content-encoding", "identity").strip().lower()
        if coding not in ("", "identity"):
            # asked for identity: a compressed answer could expand past the cap at once
            raise MalformedResponse(url, f"an answer in {coding[:20]!r} encoding, not asked for")
        if response.is_stream_consumed:  # an answer built in memory (httpx.MockTransport)
            await held.add(response.content)
        else:
            async for chunk in response.aiter_raw(64 * 1024):
                await held.add(chunk)
    return response


@contextlib.asynccontextmanager
async def get(
    client: httpx.AsyncClient,
    url: str,
    *,
    configured: str,
    headers: Mapping[str, str] | None = None,
    timeout: float,
    max_bytes: int,
    budget: AnswerBudget | None = None,
    policy: EgressPolicy | None = None,
) -> AsyncIterator[Answer]:
    """GET ``url``; the successful answer, held until the block ends. Raise an
    ``ArchiveError`` subclass otherwise.

    ``configured`` is the URL from the catalogue: redirects go only where the egress
    policy lets its service send us. The whole exchange has one deadline of ``timeout``.
    """
    sent = {**(headers or {}), "Accept-Encoding": "identity"}
    held = _Held(url, max_bytes, budget)
    try:
        async with _translated(url, timeout):
            for _ in range(MAX_REDIRECTS + 1):
                held.url = url
                response = await _read(client, url, sent, held)
                location = response.headers.get("location")
                if response.status_code not in _REDIRECTS or not location:
                    break
                await held.release()
                url = follow_up_url(location, base=url, configured=configured, policy=policy)
            else:
                raise ArchiveFailure(url, f"more than {MAX_REDIRECTS} redirects")
        body = bytes(held.body)
        if response.status_code >= 400:
            raise ArchiveFailure(url, _reason(body), status=response.status_code)
        if response.status_code >= 300:
            raise ArchiveFailure(url, "a redirect without a location", status=response.status_code)
        yield Answer(url=url, headers=response.headers, body=body)
    finally:
        await held.release()


@contextlib.asynccontextmanager
async def _translated(url: str, timeout: float) -> AsyncIterator[None]:
    """One deadline for the block; httpx's errors as ``ArchiveError`` subclasses."""
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
