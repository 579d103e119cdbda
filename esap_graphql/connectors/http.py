"""HTTP exchanges with archives: timeouts, size caps and error translation in one place."""

from __future__ import annotations

import re
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


def _error_text(body: bytes) -> str:
    """The archive's own explanation, from a VOTable error document or the body's start."""
    match = _INFO_ERROR.search(body)
    if match:
        return match.group(1).decode("utf-8", "replace").strip() or "query failed"
    text = body[:300].decode("utf-8", "replace").strip()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip() or "no explanation given"


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
        raise ArchiveFailure(url, _error_text(body), status=response.status_code)
    return body
