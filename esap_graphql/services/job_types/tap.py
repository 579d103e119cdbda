"""``query.tap``: an ADQL query run as an async job on the archive's own TAP (UWS) service.

The remote job is driven through ``connectors.tap_jobs`` (httpx, one deadline per call);
its result VOTable streams to our result directory, never whole in memory. Aborting our job
(or running over its execution duration) aborts and deletes the remote job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pydantic import BaseModel, ConfigDict, Field

from esap_graphql.connectors.tap_jobs import RemoteJobState
from esap_graphql.domain.archives import Dataset, Protocol
from esap_graphql.domain.errors import ArchiveError, EsapError, UnknownDataset
from esap_graphql.domain.jobs import Job, JobResult, JobTransientError, JobUsageError
from esap_graphql.services.job_types.base import JobContext, JobType

logger = logging.getLogger(__name__)

VOTABLE_MIME = "application/x-votable+xml"


class TapParameters(BaseModel):
    """Parameters of ``query.tap``."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(min_length=1, description="Id of a TAP dataset of the catalogue.")
    query: str = Field(min_length=1, max_length=100_000, description="The ADQL query.")
    maxrec: int | None = Field(default=None, ge=1, description="Most rows the archive returns.")


def _tap_dataset(ctx: JobContext, dataset_id: str) -> Dataset:
    try:
        dataset = ctx.queries.dataset(dataset_id)
    except UnknownDataset as exc:
        raise JobUsageError(exc.message) from exc
    if dataset.protocol is not Protocol.TAP:
        raise JobUsageError(
            f"dataset {dataset.id!r} is served by {dataset.protocol.value}, not TAP"
        )
    return dataset


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
        service = _tap_dataset(ctx, params.dataset).access_url
        try:
            job_url = await ctx.tap_jobs.submit(service, params.query, params.maxrec)
        except ArchiveError as exc:
            raise JobTransientError(
                f"could not start the query on the archive: {exc.message}"
            ) from exc
        logger.info("job %s: remote TAP job %s", job.id, job_url)
        finished = False
        try:
            state = await self._wait(job_url, service, ctx)
            finished = True
            if state.phase == "ERROR":
                raise JobUsageError(
                    f"the archive rejected the query: {state.error or 'no reason given'}"
                )
            if state.phase != "COMPLETED" or state.result_url is None:
                raise JobTransientError(
                    f"the archive's job ended in {state.phase} without a result"
                )
            return [await self._download(job, state.result_url, ctx)]
        finally:
            # a remote job that may still run (we were aborted or failed) is aborted first
            await asyncio.shield(self._clean_up(job_url, ctx, abort=not finished))

    @staticmethod
    async def _wait(job_url: str, service: str, ctx: JobContext) -> RemoteJobState:
        interval = ctx.remote_poll_interval
        while True:
            try:
                state = await ctx.tap_jobs.state(job_url, service)
            except ArchiveError as exc:
                raise JobTransientError(f"lost track of the archive's job: {exc.message}") from exc
            if state.is_final:
                return state
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, 10.0)

    @staticmethod
    async def _download(job: Job, url: str, ctx: JobContext) -> JobResult:
        try:
            async with ctx.results.writer(job.id, "result.vot") as write:
                size = await ctx.tap_jobs.download(
                    url, write, max_bytes=ctx.max_result_bytes, deadline=ctx.remote_timeout * 10
                )
        except ArchiveError as exc:
            raise JobTransientError(f"could not download the result: {exc.message}") from exc
        return JobResult(name="result.vot", mime_type=VOTABLE_MIME, size=size)

    @staticmethod
    async def _clean_up(job_url: str, ctx: JobContext, *, abort: bool) -> None:
        if abort:
            with contextlib.suppress(EsapError):
                await ctx.tap_jobs.abort(job_url)
        with contextlib.suppress(EsapError):
            await ctx.tap_jobs.delete(job_url)
