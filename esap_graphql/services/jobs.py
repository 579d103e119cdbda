"""The job lifecycle as users see it: create, start, abort, delete, read, list, wait, watch.

Knows nothing of GraphQL or HTTP; both the GraphQL resolvers and the UWS REST handlers call
it. Every phase change goes through the store (compare-and-set) and then onto the event bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from esap_graphql.domain.jobs import (
    InvalidJobParameters,
    Job,
    JobFilter,
    JobResult,
    PhaseEvent,
    TooManyJobs,
    UnknownJob,
    UnknownJobType,
    utc_now,
)
from esap_graphql.domain.users import User
from esap_graphql.domain.uws import ABORT, RUN, ExecutionPhase, IllegalPhaseTransition
from esap_graphql.messaging.event_bus import EventBus
from esap_graphql.messaging.job_queue import JobQueue
from esap_graphql.services.job_execution import destroy_job, event_of
from esap_graphql.services.job_types import JobType
from esap_graphql.storage.job_store import JobStore
from esap_graphql.storage.result_files import ResultFiles
from esap_graphql.telemetry.metrics import NO_METRICS, Metrics

_P = ExecutionPhase


@dataclass(frozen=True, slots=True, kw_only=True)
class JobPolicy:
    """Limits and defaults applied to every job."""

    default_execution_duration: int
    max_execution_duration: int
    destruction_delay: timedelta
    max_unfinished_jobs: int


class JobService:
    """Jobs of the calling user."""

    def __init__(
        self,
        *,
        store: JobStore,
        queue: JobQueue,
        bus: EventBus,
        results: ResultFiles,
        types: Mapping[str, type[JobType]],
        policy: JobPolicy,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._metrics = metrics
        self._store = store
        self._queue = queue
        self._bus = bus
        self._results = results
        self._types = types
        self._policy = policy

    async def _announce(self, job: Job) -> None:
        self._metrics.job_phase(job.type, job.phase.value)
        await self._bus.publish(event_of(job))

    @property
    def types(self) -> Mapping[str, type[JobType]]:
        """The worker types jobs may use, by name."""
        return self._types

    @property
    def policy(self) -> JobPolicy:
        """Limits and defaults in force."""
        return self._policy

    def _duration(self, requested: int | None) -> int:
        if requested is None:
            return self._policy.default_execution_duration
        if requested <= 0 or requested > self._policy.max_execution_duration:
            # UWS: the server may shorten a requested duration; 0 (unlimited) becomes the max
            return self._policy.max_execution_duration
        return requested

    async def create(
        self,
        user: User,
        type_name: str,
        parameters: Mapping[str, Any],
        *,
        run: bool = False,
        run_id: str | None = None,
        execution_duration: int | None = None,
    ) -> Job:
        """A new job, PENDING (or QUEUED when ``run``); raise ``UsageError`` subclasses."""
        job_type = self._types.get(type_name)
        if job_type is None:
            raise UnknownJobType(type_name, tuple(sorted(self._types)))
        if not isinstance(parameters, Mapping):
            raise InvalidJobParameters(type_name, ("parameters: must be an object",))
        normalised = job_type.validate(parameters)
        now = utc_now()
        job = Job(
            id=uuid.uuid4().hex,
            owner=user.id,
            type=type_name,
            phase=_P.QUEUED if run else _P.PENDING,
            parameters=normalised,
            run_id=run_id,
            creation_time=now,
            execution_duration=self._duration(execution_duration),
            destruction_time=now + self._policy.destruction_delay,
        )
        if not await self._store.add(job, max_unfinished=self._policy.max_unfinished_jobs):
            raise TooManyJobs(self._policy.max_unfinished_jobs)
        await self._announce(job)
        if run:
            await self._queue.enqueue(job, 1)
        return job

    async def get(self, user: User, job_id: str) -> Job:
        """The caller's job; raise ``UnknownJob`` (also for someone else's job)."""
        job = await self._store.get(job_id)
        if job is None or job.owner != user.id or job.phase is _P.ARCHIVED:
            raise UnknownJob(job_id)
        return job

    async def list(self, user: User, where: JobFilter | None = None) -> list[Job]:
        """The caller's jobs, newest first."""
        return await self._store.find(user.id, where or JobFilter())

    async def start(self, user: User, job_id: str) -> Job:
        """PENDING (or HELD) -> QUEUED, and hand the job to a worker."""
        job = await self.get(user, job_id)
        job = await self._store.apply(job.id, RUN)
        await self._announce(job)
        await self._queue.enqueue(job, job.attempts + 1)
        return job

    async def abort(self, user: User, job_id: str) -> Job:
        """Stop the job: ABORTED, and its worker (and any remote job) told to stop."""
        job = await self.get(user, job_id)
        job = await self._store.apply(job.id, ABORT, end_time=utc_now())
        await self._announce(job)
        await self._queue.abort(job)
        return job

    async def delete(self, user: User, job_id: str) -> Job:
        """Abort if running, then forget the job and its results."""
        job = await self.get(user, job_id)
        await destroy_job(self._store, self._bus, self._results, self._queue.abort, job)
        return job

    async def set_execution_duration(self, user: User, job_id: str, seconds: int) -> Job:
        """Change the execution duration while the job has not started."""
        job = await self.get(user, job_id)
        return await self._store.update(
            job.id, only_in={_P.PENDING, _P.HELD}, execution_duration=self._duration(seconds)
        )

    async def set_parameters(self, user: User, job_id: str, changes: Mapping[str, Any]) -> Job:
        """Change parameters of a job that has not started (UWS POST /parameters)."""
        job = await self.get(user, job_id)
        job_type = self._types.get(job.type)
        if job_type is None:
            raise UnknownJobType(job.type, tuple(sorted(self._types)))
        merged = job_type.validate({**job.parameters, **changes})
        return await self._store.update(job.id, only_in={_P.PENDING, _P.HELD}, parameters=merged)

    async def set_destruction(self, user: User, job_id: str, when: datetime) -> Job:
        """Change the destruction time (never later than the policy allows from now)."""
        job = await self.get(user, job_id)
        latest = utc_now() + self._policy.destruction_delay
        return await self._store.update(
            job.id,
            only_in=[p for p in _P if p is not _P.ARCHIVED],
            destruction_time=min(when, latest),
        )

    async def result(self, user: User, job_id: str, name: str) -> tuple[JobResult, Path]:
        """A result of a COMPLETED job and its file; raise ``UnknownJob``."""
        job = await self.get(user, job_id)
        for result in job.results:
            if result.name == name:
                return result, self._results.path(job.id, name)
        raise UnknownJob(f"{job_id}/results/{name}")

    @contextlib.asynccontextmanager
    async def events(self, user: User) -> AsyncIterator[AsyncIterator[PhaseEvent]]:
        """The caller's phase events while the context is open (subscribed on entry)."""
        async with self._bus.subscribe(user.id) as subscription:
            yield subscription.__aiter__()

    async def wait(
        self, user: User, job_id: str, *, timeout: float, while_in: ExecutionPhase | None = None
    ) -> Job:
        """UWS blocking: return when the job leaves ``while_in`` (default: its current active
        phase) or ``timeout`` seconds pass; at once if it is in none of the active phases."""
        async with self.events(user) as events:
            job = await self.get(user, job_id)
            phase = while_in or job.phase
            if job.phase is not phase or not (job.phase.is_active or job.phase is _P.PENDING):
                return job
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    async for event in events:
                        if event.job_id == job_id and (event.phase is not phase or event.deleted):
                            break
        return await self.get(user, job_id)

    async def watch_job(self, user: User, job_id: str) -> AsyncIterator[PhaseEvent]:
        """The job's current phase, then each change, until a final phase (or deletion)."""
        async with self.events(user) as events:
            job = await self.get(user, job_id)
            last = job.phase
            yield PhaseEvent(job_id=job.id, owner=job.owner, phase=job.phase, at=utc_now())
            if job.phase.is_final:
                return
            async for event in events:
                if event.job_id != job_id:
                    continue
                if event.deleted:
                    return
                if event.phase is last:
                    continue
                last = event.phase
                yield event
                if event.phase.is_final:
                    return

    async def watch_owner(self, user: User) -> AsyncIterator[PhaseEvent]:
        """Every phase change of every job of the caller, as it happens."""
        async with self.events(user) as events:
            async for event in events:
                yield event

    async def recover_queued(self) -> None:
        """Hand every QUEUED job to the queue again (the in-process runner after a restart)."""
        for job in await self._store.in_phase(_P.QUEUED):
            await self._queue.enqueue(job, job.attempts + 1)


__all__ = ["IllegalPhaseTransition", "JobPolicy", "JobService"]
