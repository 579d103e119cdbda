"""``query.tap``: an ADQL query run as an async job on the archive's own TAP (UWS) service.

pyvo drives the remote job (create, run, poll, abort, delete) in threads, since it is
synchronous; every request carries a timeout. The result VOTable is streamed to our result
directory with httpx. Aborting our job (or running over its execution duration) aborts and
deletes the remote job.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from dataclasses import dataclass
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field
from pyvo.dal import DALServiceError
from pyvo.dal.tap import AsyncTAPJob, TAPService
from pyvo.io import uws

from esap_graphql.domain.archives import Protocol
from esap_graphql.domain.errors import UnknownDataset
from esap_graphql.domain.jobs import Job, JobResult, JobTransientError, JobUsageError
from esap_graphql.services.job_types.base import JobContext, JobType

logger = logging.getLogger(__name__)

VOTABLE_MIME = "application/x-votable+xml"
#: Seconds a remote job's phase request may block on the server (UWS 1.1 WAIT).
_REMOTE_WAIT = 5


class TapParameters(BaseModel):
    """Parameters of ``query.tap``."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(min_length=1, description="Id of a TAP dataset of the catalogue.")
    query: str = Field(min_length=1, max_length=100_000, description="The ADQL query.")
    maxrec: int | None = Field(default=None, ge=1, description="Most rows the archive returns.")


class _TimeoutSession(requests.Session):
    """A requests session whose every call has a timeout (pyvo does not always set one)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout
        self.headers["User-Agent"] = "esap-graphql-jobs/0.1"

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


@dataclass(frozen=True, slots=True)
class _RemoteState:
    phase: str
    error: str | None
    result_url: str | None


def _submit(base_url: str, query: str, maxrec: int | None, timeout: float) -> str:
    session = _TimeoutSession(timeout)
    job = TAPService(base_url, session=session).submit_job(query, maxrec=maxrec)
    job.run()
    return str(job.url)


def _look(job_url: str, timeout: float, wait: int) -> _RemoteState:
    session = _TimeoutSession(timeout + wait)
    response = session.get(job_url, params={"WAIT": str(wait)})
    response.raise_for_status()
    parsed = uws.parse_job(io.BytesIO(response.content))
    error = None
    if parsed.errorsummary is not None and parsed.errorsummary.message is not None:
        error = str(parsed.errorsummary.message.content or "").strip() or None
    job = AsyncTAPJob.__new__(AsyncTAPJob)  # reuse pyvo's choice of the result URL
    job._url = job_url
    job._job = parsed
    return _RemoteState(phase=str(parsed.phase), error=error, result_url=job.result_uri)


def _abort_and_delete(job_url: str, timeout: float) -> None:
    session = _TimeoutSession(timeout)
    with contextlib.suppress(requests.RequestException):
        session.post(f"{job_url}/phase", data={"PHASE": "ABORT"})
    with contextlib.suppress(requests.RequestException):
        session.delete(job_url, allow_redirects=False)


def _delete(job_url: str, timeout: float) -> None:
    with contextlib.suppress(requests.RequestException):
        _TimeoutSession(timeout).delete(job_url, allow_redirects=False)


class TapQueryJob(JobType):
    """Runs ADQL as an async TAP job on the dataset's service; stores the VOTable result."""

    name = "query.tap"
    description = (
        "Runs `query` (ADQL) as an asynchronous job on the TAP service of `dataset`; "
        "the result is the archive's VOTable (result.vot)."
    )
    Parameters = TapParameters

    async def run(self, job: Job, ctx: JobContext) -> list[JobResult]:
        params = TapParameters.model_validate(dict(job.parameters))
        try:
            dataset = ctx.queries.dataset(params.dataset)
        except UnknownDataset as exc:
            raise JobUsageError(exc.message) from exc
        if dataset.protocol is not Protocol.TAP:
            raise JobUsageError(
                f"dataset {dataset.id!r} is served by {dataset.protocol.value}, not TAP"
            )
        base_url = dataset.access_url.rstrip("/")
        timeout = ctx.remote_timeout
        try:
            job_url = await asyncio.to_thread(
                _submit, base_url, params.query, params.maxrec, timeout
            )
        except (DALServiceError, requests.RequestException) as exc:
            raise JobTransientError(
                f"could not start the query on {base_url}: {exc}", detail=str(exc)
            ) from exc
        logger.info("job %s: remote TAP job %s", job.id, job_url)
        finished = False
        try:
            state = await self._wait(job_url, ctx)
            if state.phase == "ERROR":
                finished = True
                raise JobUsageError(
                    f"the archive rejected the query: {state.error or 'no reason given'}"
                )
            if state.phase != "COMPLETED" or state.result_url is None:
                finished = True
                raise JobTransientError(
                    f"the archive's job ended in {state.phase} without a result"
                )
            result = await self._download(job, state.result_url, ctx)
            finished = True
            return [result]
        finally:
            if finished:
                await asyncio.shield(asyncio.to_thread(_delete, job_url, timeout))
            else:  # aborted, timed out or failed while the remote job may still run
                await asyncio.shield(asyncio.to_thread(_abort_and_delete, job_url, timeout))

    async def _wait(self, job_url: str, ctx: JobContext) -> _RemoteState:
        interval = ctx.remote_poll_interval
        while True:
            try:
                state = await asyncio.to_thread(_look, job_url, ctx.remote_timeout, _REMOTE_WAIT)
            except (requests.RequestException, ValueError) as exc:
                raise JobTransientError(
                    f"lost track of the archive's job {job_url}: {exc}", detail=str(exc)
                ) from exc
            if state.phase in {"COMPLETED", "ERROR", "ABORTED"}:
                return state
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, 10.0)

    async def _download(self, job: Job, url: str, ctx: JobContext) -> JobResult:
        try:
            async with asyncio.timeout(ctx.remote_timeout * 10):
                response = await ctx.http.get(url, timeout=ctx.remote_timeout)
                response.raise_for_status()
        except TimeoutError as exc:
            raise JobTransientError(f"downloading the result from {url} timed out") from exc
        except Exception as exc:
            raise JobTransientError(f"could not download the result from {url}: {exc}") from exc
        return await ctx.results.write(
            job.id, "result.vot", response.content, mime_type=VOTABLE_MIME
        )
