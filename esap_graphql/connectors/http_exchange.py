"""One GET to a JSON or XML web service: timeout, size cap, redirects kept on its origin.

Unlike ``connectors.http.fetch`` (VO services), it hands back the final URL
and the headers (a next page may be in a ``Link`` header), and it follows
redirects itself: only to the configured origin, checked by
``follow_up.follow_up_url`` like every URL an answer names, so that the
credentials a request carries never reach another host.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

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


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: where it came from, its headers and its body."""

    url: str
    headers: httpx.Headers
    body: bytes


def _reason(body: bytes) -> str:
    """The service's own explanation: a JSON error message, or the body's words."""
    try:
        data = loads(body[:65536])
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("message", "detail", "error", "errors", "error_description"):
            value = data.get(key)
            if value:
                return str(value)[:300]
    text = body[:8192].decode("utf-8", "replace")
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())[:300] or "no explanation given"


async def _read(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str],
    timeout: float,
    max_bytes: int,
) -> tuple[httpx.Response, bytes]:
    request_timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
    try:
        async with client.stream(
            "GET", url, headers=headers, timeout=request_timeout, follow_redirects=False
        ) as response:
            length = response.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise MalformedResponse(url, f"answer of {int(length)} bytes exceeds {max_bytes}")
            chunks: list[bytes] = []
            received = 0
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise MalformedResponse(url, f"answer exceeds {max_bytes} bytes")
                chunks.append(chunk)
            return response, b"".join(chunks)
    except httpx.TimeoutException as exc:
        raise ArchiveTimeout(url, timeout) from exc
    except (httpx.ConnectError, httpx.NetworkError, httpx.ProxyError) as exc:
        raise ArchiveUnreachable(url, str(exc) or type(exc).__name__) from exc
    except httpx.HTTPError as exc:
        raise ArchiveUnreachable(url, f"{type(exc).__name__}: {exc}") from exc


async def get(
    client: httpx.AsyncClient,
    url: str,
    *,
    configured: str,
    headers: Mapping[str, str] | None = None,
    timeout: float,
    max_bytes: int,
) -> Answer:
    """GET ``url``; raise an ``ArchiveError`` subclass unless the final answer is a success.

    ``configured`` is the URL from the catalogue whose origin redirects must keep.
    """
    sent = dict(headers or {})
    for _ in range(MAX_REDIRECTS + 1):
        response, body = await _read(
            client, url, headers=sent, timeout=timeout, max_bytes=max_bytes
        )
        location = response.headers.get("location")
        if response.status_code in _REDIRECTS and location:
            url = follow_up_url(location, base=url, configured=configured)
            continue
        if response.status_code >= 400:
            raise ArchiveFailure(url, _reason(body), status=response.status_code)
        if response.status_code >= 300:
            raise ArchiveFailure(url, "a redirect without a location", status=response.status_code)
        return Answer(url=url, headers=response.headers, body=body)
    raise ArchiveFailure(url, f"more than {MAX_REDIRECTS} redirects")
