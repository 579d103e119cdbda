"""Asynchronous TAP (UWS) jobs on an archive's own service, over httpx.

Every call has one total deadline (``asyncio.timeout``), not a per-read timeout, so a
service that drips bytes cannot hold a call longer than that. Job documents are parsed by
pyvo's UWS parser in a thread; the job URL and result links the service hands back are
followed only when they stay on the service's own host.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from pyvo.io import uws

from esap_graphql.connectors.http import ServiceClients, error_text
from esap_graphql.domain.errors import ArchiveFailure, ArchiveTimeout, MalformedResponse

#: Seconds a phase request may block on the service (UWS 1.1 WAIT).
REMOTE_WAIT = 5
#: Receives a downloaded result chunk by chunk.
Sink = Callable[[bytes], Awaitable[None]]
_FINAL = frozenset({"COMPLETED", "ERROR", "ABORTED"})


@dataclass(frozen=True, slots=True)
class RemoteJobState:
    """What the service says of its job."""

    phase: str
    error: str | None
    result_url: str | None

    @property
    def is_final(self) -> bool:
        """True when the remote job will not change phase again."""
        return self.phase in _FINAL


def _same_host(url: str, service_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(service_url)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _parse_job(content: bytes, job_url: str) -> RemoteJobState:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            job = uws.parse_job(io.BytesIO(content))
    except Exception as exc:
        raise MalformedResponse(job_url, f"not a UWS job document ({type(exc).__name__})") from exc
    error = None
    if job.errorsummary is not None and job.errorsummary.message is not None:
        error = str(job.errorsummary.message.content or "").strip() or None
    results = list(job.results or ())
    # pyvo's choice (AsyncTAPJob.result_uri): the result named "result", else the first
    chosen = next((r for r in results if r.id_ == "result"), results[0] if results else None)
    href = str(chosen.href) if chosen is not None and chosen.href else None
    return RemoteJobState(
        phase=str(job.phase),
        error=error,
        result_url=urljoin(job_url, href) if href else None,
    )


class TapJobClient:
    """Creates, follows, downloads, aborts and deletes async TAP jobs of one archive service."""

    def __init__(self, *, clients: ServiceClients, timeout: float) -> None:
        self._clients = clients
        self._timeout = timeout

    def _client(self, url: str) -> httpx.AsyncClient:
        parts = urlsplit(url)
        return self._clients.for_service(f"{parts.scheme}://{parts.netloc}")

    def _checked(self, url: str, service_url: str) -> str:
        if not _same_host(url, service_url):
            raise ArchiveFailure(
                service_url, "the service pointed to another host; not followed", status=None
            )
        return url

    async def _call(
        self, method: str, url: str, *, data: dict[str, str] | None = None, wait: float = 0
    ) -> httpx.Response:
        """One request within one total deadline; its body read whole (job documents are small)."""
        deadline = self._timeout + wait
        try:
            async with asyncio.timeout(deadline):
                response = await self._client(url).request(
                    method, url, data=data, follow_redirects=False
                )
        except TimeoutError as exc:
            raise ArchiveTimeout(url, deadline) from exc
        except httpx.HTTPError as exc:
            raise ArchiveFailure(url, type(exc).__name__) from exc
        if response.status_code >= 400:
            raise ArchiveFailure(url, error_text(response.content), status=response.status_code)
        return response

    async def submit(self, service_url: str, query: str, maxrec: int | None) -> str:
        """Create the job and start it; its URL."""
        base = service_url.rstrip("/")
        data = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query}
        if maxrec is not None:
            data["MAXREC"] = str(maxrec)
        created = await self._call("POST", f"{base}/async", data=data)
        location = created.headers.get("location")
        if created.status_code not in (200, 201, 303) or not location:
            raise MalformedResponse(f"{base}/async", "no job URL in the answer to job creation")
        job_url = self._checked(urljoin(f"{base}/async", location), service_url)
        await self._call("POST", f"{job_url}/phase", data={"PHASE": "RUN"})
        return job_url

    async def state(
        self, job_url: str, service_url: str, *, wait: int = REMOTE_WAIT
    ) -> RemoteJobState:
        """The job's phase, error and result link (blocking up to ``wait`` s on a change)."""
        response = await self._call("GET", f"{job_url}?WAIT={wait}", wait=wait)
        state = await asyncio.to_thread(_parse_job, response.content, job_url)
        if state.result_url is not None:
            self._checked(state.result_url, service_url)
        return state

    async def download(self, url: str, write: Sink, *, max_bytes: int, deadline: float) -> int:
        """Hand the result's bytes to ``write`` as they arrive; at most ``max_bytes`` within
        ``deadline`` seconds. The number of bytes written."""
        received = 0
        try:
            async with (
                asyncio.timeout(deadline),
                self._client(url).stream("GET", url, follow_redirects=False) as answer,
            ):
                if answer.status_code >= 400:
                    body = await answer.aread()
                    raise ArchiveFailure(url, error_text(body), status=answer.status_code)
                async for chunk in answer.aiter_bytes():
                    received += len(chunk)
                    if received > max_bytes:
                        raise MalformedResponse(url, f"result exceeds {max_bytes} bytes")
                    await write(chunk)
        except TimeoutError as exc:
            raise ArchiveTimeout(url, deadline) from exc
        except httpx.HTTPError as exc:
            raise ArchiveFailure(url, type(exc).__name__) from exc
        return received

    async def abort(self, job_url: str) -> None:
        """Ask the service to stop the job (best effort)."""
        await self._call("POST", f"{job_url}/phase", data={"PHASE": "ABORT"})

    async def delete(self, job_url: str) -> None:
        """Ask the service to forget the job (best effort)."""
        await self._call("DELETE", job_url)
