"""Asynchronous TAP (UWS) jobs on an archive's own service, over httpx.

Every call has one total deadline, not a per-read timeout, so a service that drips bytes
cannot hold a call longer than that. Job documents (at most 1 MiB) are parsed by pyvo's UWS
parser in a thread; the job URL and result links the service hands back are followed only
where the egress policy allows (the service's own host); results stream to a sink.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from pyvo.io import uws

from esap_graphql.connectors.egress import EgressPolicy
from esap_graphql.connectors.http import (
    ServiceClients,
    Sink,
    download,
    error_text,
    request_once,
)
from esap_graphql.domain.errors import ArchiveFailure, MalformedResponse

#: Seconds a phase request may block on the service (UWS 1.1 WAIT).
REMOTE_WAIT = 5
#: Largest job document (UWS XML) read from a service.
MAX_JOB_DOCUMENT = 1024 * 1024
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
    """Creates, follows, downloads, aborts and deletes async TAP jobs of archive services."""

    def __init__(self, *, clients: ServiceClients, timeout: float) -> None:
        self._clients = clients
        self._timeout = timeout
        self._policy = clients.policy or EgressPolicy()

    def _client(self, url: str) -> httpx.AsyncClient:
        parts = urlsplit(url)
        return self._clients.for_service(f"{parts.scheme}://{parts.netloc}")

    def _checked(self, url: str, service_url: str) -> str:
        if not self._policy.may_follow(url, service_url):
            raise ArchiveFailure(service_url, "the service pointed to another host; not followed")
        return url

    async def _call(
        self, method: str, url: str, *, data: dict[str, str] | None = None, wait: float = 0
    ) -> tuple[int, httpx.Headers, bytes]:
        """One request within one total deadline; redirects are the caller's to follow."""
        status, headers, body = await request_once(
            self._client(url),
            method,
            url,
            data=data,
            timeout=self._timeout + wait,
            max_bytes=MAX_JOB_DOCUMENT,
        )
        if status >= 400:
            raise ArchiveFailure(url, error_text(body), status=status)
        return status, headers, body

    async def submit(self, service_url: str, query: str, maxrec: int | None) -> str:
        """Create the job and start it; its URL."""
        base = service_url.rstrip("/")
        data = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query}
        if maxrec is not None:
            data["MAXREC"] = str(maxrec)
        status, headers, _ = await self._call("POST", f"{base}/async", data=data)
        location = headers.get("location")
        if status not in (200, 201, 303) or not location:
            raise MalformedResponse(f"{base}/async", "no job URL in the answer to job creation")
        job_url = self._checked(urljoin(f"{base}/async", location), service_url)
        await self._call("POST", f"{job_url}/phase", data={"PHASE": "RUN"})
        return job_url

    async def state(
        self, job_url: str, service_url: str, *, wait: int = REMOTE_WAIT
    ) -> RemoteJobState:
        """The job's phase, error and result link (blocking up to ``wait`` s on a change)."""
        _, _, body = await self._call("GET", f"{job_url}?WAIT={wait}", wait=wait)
        state = await asyncio.to_thread(_parse_job, body, job_url)
        if state.result_url is not None:
            self._checked(state.result_url, service_url)
        return state

    async def download(self, url: str, sink: Sink, *, max_bytes: int, deadline: float) -> int:
        """Hand the result's bytes to ``sink`` as they arrive; at most ``max_bytes`` within
        ``deadline`` seconds. The number of bytes written."""
        return await download(
            self._client(url),
            url,
            sink,
            timeout=deadline,
            max_bytes=max_bytes,
            policy=self._policy,
        )

    async def abort(self, job_url: str) -> None:
        """Ask the service to stop the job (best effort)."""
        await self._call("POST", f"{job_url}/phase", data={"PHASE": "ABORT"})

    async def delete(self, job_url: str) -> None:
        """Ask the service to forget the job (best effort)."""
        await self._call("DELETE", job_url)
