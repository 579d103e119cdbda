"""HTTP exchanges with archives: timeouts, size caps and error translation in one place."""

from __future__ import annotations

import html
import re
import ssl
from collections.abc import Mapping

import httpx

from esap_graphql.domain.errors import (
    ArchiveFailure,
    ArchiveTimeout,
    ArchiveUnreachable,
    MalformedResponse,
)

#: Largest answer read from an archive; a larger one is refused, not truncated.
MAX_RESPONSE_BYTES = 512 * 1024 * 1024

_INFO_ERROR = re.compile(
    rb"<INFO[^>]*name=\"QUERY_STATUS\"[^>]*value=\"ERROR\"[^>]*>(.*?)</INFO>", re.S | re.I
)
_NOT_TEXT = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>?")


def error_text(body: bytes) -> str:
    """The archive's own explanation, from a VOTable error document or the body's start."""
    match = _INFO_ERROR.search(body)
    if match:
        return match.group(1).decode("utf-8", "replace").strip() or "query failed"
    # An HTML error page spends its first bytes on <head>: read further, drop
    # scripts, styles and tags (a tag cut off at the end too), keep the words.
    text = body[:8192].decode("utf-8", "replace")
    text = _NOT_TEXT.sub(" ", text)
    text = " ".join(html.unescape(_TAG.sub(" ", text)).split())
    return text[:300] or "no explanation given"


async def fetch(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    timeout: float,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> bytes:
    """The body of a successful answer; raise an ``ArchiveError`` subclass otherwise.

    A 4xx/5xx answer whose body is a VOTable error document (as TAP sends)
    becomes ``ArchiveFailure`` carrying the archive's message.
    """
    request_timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
    try:
        async with http.stream(
            method, url, params=params, data=data, timeout=request_timeout
        ) as response:
            length = response.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise MalformedResponse(url, f"answer of {int(length)} bytes exceeds {max_bytes}")
            chunks = []
            received = 0
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise MalformedResponse(url, f"answer exceeds {max_bytes} bytes")
                chunks.append(chunk)
            body = b"".join(chunks)
    except httpx.TimeoutException as exc:
        raise ArchiveTimeout(url, timeout) from exc
    except (httpx.ConnectError, httpx.NetworkError, httpx.ProxyError) as exc:
        raise ArchiveUnreachable(url, str(exc) or type(exc).__name__) from exc
    except httpx.TooManyRedirects as exc:
        raise ArchiveFailure(url, "too many redirects") from exc
    except httpx.HTTPError as exc:
        raise ArchiveUnreachable(url, f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 400:
        raise ArchiveFailure(url, error_text(body), status=response.status_code)
    return body


class ServiceClients:
    """HTTP clients, one connection pool per archive service.

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
    ) -> None:
        self._timeout = timeout
        self._ssl_context = ssl_context
        self._per_service = per_service
        self._headers = dict(headers or {})
        self._shared = shared
        self._clients: dict[str, httpx.AsyncClient] = {}

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
            client = self._clients[service_key] = httpx.AsyncClient(
                verify=self._ssl_context,
                timeout=self._timeout,
                limits=httpx.Limits(
                    max_connections=self._per_service,
                    max_keepalive_connections=self._per_service,
                ),
                headers=self._headers,
                follow_redirects=True,
            )
        return client

    async def aclose(self) -> None:
        """Close the clients this object created."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
