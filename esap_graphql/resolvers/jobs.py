"""Job calls: take the job service from the context, call it once for the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.jobs import Job, JobFilter, PhaseEvent, UnknownJob
from esap_graphql.domain.uws import ExecutionPhase
from esap_graphql.resolvers.context import RequestContext
from esap_graphql.services.job_types import JobType


async def job(ctx: RequestContext, job_id: str) -> Job | None:
    """The caller's job, or None."""
    try:
        return await ctx.process.jobs.get(ctx.user, job_id)
    except UnknownJob:
        return None


async def jobs(
    ctx: RequestContext,
    phases: list[ExecutionPhase] | None,
    after: datetime | None,
    last: int | None,
) -> list[Job]:
    """The caller's jobs, newest first."""
    where = JobFilter(phases=frozenset(phases or ()), after=after, last=last)
    return await ctx.process.jobs.list(ctx.user, where)


def job_types(ctx: RequestContext) -> list[type[JobType]]:
    """The worker types, by name."""
    return [ctx.process.jobs.types[name] for name in sorted(ctx.process.jobs.types)]


async def create(
    ctx: RequestContext,
    type_name: str,
    parameters: Mapping[str, Any],
    *,
    run: bool,
    run_id: str | None,
    execution_duration: int | None,
) -> Job | UsageError:
    """A new job of the caller, or the usage error that stopped it."""
    try:
        return await ctx.process.jobs.create(
            ctx.user,
            type_name,
            parameters,
            run=run,
            run_id=run_id,
            execution_duration=execution_duration,
        )
    except UsageError as exc:
        return exc


async def start(ctx: RequestContext, job_id: str) -> Job | UsageError:
    """Queue a PENDING job."""
    try:
        return await ctx.process.jobs.start(ctx.user, job_id)
    except UsageError as exc:
        return exc


async def abort(ctx: RequestContext, job_id: str) -> Job | UsageError:
    """Abort a job."""
    try:
        return await ctx.process.jobs.abort(ctx.user, job_id)
    except UsageError as exc:
        return exc


async def delete(ctx: RequestContext, job_id: str) -> Job | UsageError:
    """Delete a job and its results."""
    try:
        return await ctx.process.jobs.delete(ctx.user, job_id)
    except UsageError as exc:
        return exc


def watch_job(ctx: RequestContext, job_id: str) -> AsyncIterator[PhaseEvent]:
    """The job's phase now and at every change until it ends."""
    return ctx.process.jobs.watch_job(ctx.user, job_id)


def watch_mine(ctx: RequestContext) -> AsyncIterator[PhaseEvent]:
    """Every phase change of the caller's jobs."""
    return ctx.process.jobs.watch_owner(ctx.user)
