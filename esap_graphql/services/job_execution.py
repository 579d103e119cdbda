"""Running one job, and keeping jobs honest: the code shared by the in-process runner and
arq workers.

``JobExecutor.execute`` takes a QUEUED job to EXECUTING (compare-and-set on phase and attempt,
so a stale or duplicate delivery does nothing), runs its type under the execution duration,
and records COMPLETED, ERROR or ABORTED. ``JobMaintenance`` sends heartbeats, retries or
fails jobs whose worker died, and destroys jobs past their destruction time.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from esap_graphql.domain.errors import EsapError
from esap_graphql.domain.jobs import (
    ExecutionDurationExceeded,
    Job,
    JobAbortedRemotely,
    JobError,
    PhaseEvent,
    UnknownJob,
    WorkerLost,
    classify,
    utc_now,
)
from esap_graphql.domain.uws import (
    ABORT,
    RETRY,
    TAKE,
    TAKE_QUEUED,
    ExecutionPhase,
    IllegalPhaseTransition,
    finish,
    finish_remote,
)
from esap_graphql.messaging.event_bus import EventBus
from esap_graphql.services.job_types import JobContext, JobType
from esap_graphql.services.remote_phases import RemotePhaseRecorder
from esap_graphql.storage.job_store import JobStore
from esap_graphql.storage.result_files import ResultFiles
from esap_graphql.telemetry.metrics import NO_METRICS, Metrics
from esap_graphql.telemetry.tracing import span

logger = logging.getLogger(__name__)

_P = ExecutionPhase


#: Queues attempt N of a job (``JobQueue.enqueue``).
Requeue = Callable[[Job, int], Awaitable[None]]


def event_of(job: Job) -> PhaseEvent:
    """The phase event announcing the job's current phase."""
    return PhaseEvent(job_id=job.id, owner=job.owner, phase=job.phase, at=utc_now())


class JobExecutor:
    """Executes jobs by id; one per worker process (or one for the in-process runner)."""

    def __init__(
        self,
        *,
        store: JobStore,
        bus: EventBus,
        context: JobContext,
        types: Mapping[str, type[JobType]],
        worker_id: str,
        metrics: Metrics = NO_METRICS,
        requeue: Requeue | None = None,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._requeue = requeue
        self._bus = bus
        self._context = context
        self._types = types
        self.worker_id = worker_id

    @property
    def context(self) -> JobContext:
        """What the jobs this executor runs get."""
        return self._context

    async def _publish(self, job: Job) -> None:
        self._metrics.job_phase(job.type, job.phase.value)
        try:
            await self._bus.publish(event_of(job))
        except Exception:  # a lost event must not lose the job: state is in the store
            logger.exception("job %s: could not publish phase %s", job.id, job.phase.value)

    async def _finish(
        self, job_id: str, to: ExecutionPhase, *, remote_attempt: int | None = None, **changes: Any
    ) -> None:
        # a job started remotely ends from any phase the remote side reported, but only while
        # this attempt still holds it
        how = finish(to) if remote_attempt is None else finish_remote(to)
        try:
            # after the last try, maintenance ends the job once its execution duration is over
            job = await _retried(
                f"record {to.value}",
                job_id,
                (0.5, 1.0, 2.0),
                lambda: self._store.apply(
                    job_id, how, expect_attempts=remote_attempt, end_time=utc_now(), **changes
                ),
            )
        except IllegalPhaseTransition:  # aborted (or reaped) meanwhile: that phase stands
            logger.info("job %s: ended after leaving EXECUTING; %s not kept", job_id, to.value)
            return
        except UnknownJob:  # deleted while it ran: drop what it wrote
            await self._context.results.delete(job_id)
            return
        await self._publish(job)

    async def _hand_back(self, job: Job, attempt: int) -> None:
        """This process stops while running the job: QUEUED again for the next attempt (on
        another worker when there is a queue to put it on; else at the next start-up)."""
        try:
            moved = await self._store.apply(job.id, RETRY, expect_attempts=attempt, worker=None)
        except (IllegalPhaseTransition, UnknownJob):
            return  # aborted or deleted: that stands
        except Exception:
            logger.exception("job %s: could not hand it back; maintenance will", job.id)
            return
        logger.info("job %s: handed back to the queue at shutdown", job.id)
        await self._publish(moved)
        if self._requeue is not None:
            try:
                await self._requeue(moved, attempt + 1)
            except Exception:
                logger.exception("job %s: could not queue it again", job.id)

    async def _starts_remotely(self, job_id: str, type_name: str | None) -> bool:
        if type_name is None:  # a message queued by an older gateway: ask the store
            queued = await self._store.get(job_id)
            type_name = queued.type if queued is not None else None
        job_type = self._types.get(type_name) if type_name is not None else None
        return job_type is not None and job_type.starts_remotely

    async def _take(self, job_id: str, attempt: int, remote: bool) -> Job | None:
        # the compare-and-set that makes this worker the job's only runner; a failure to
        # reach the store is retried (the job would otherwise stay QUEUED, its message spent)
        try:
            return await _retried(
                "take it",
                job_id,
                (0.5, 1.0, 2.0, 4.0),
                lambda: self._store.apply(
                    job_id,
                    TAKE_QUEUED if remote else TAKE,  # remote: QUEUED until it runs remotely
                    expect_attempts=attempt - 1,
                    attempts=attempt,
                    worker=self.worker_id,
                    **({} if remote else {"start_time": utc_now()}),
                ),
            )
        except EsapError as exc:  # aborted, deleted or already taken: nothing to do
            logger.info("job %s attempt %d: not started (%s)", job_id, attempt, exc.message)
            return None

    async def execute(self, job_id: str, attempt: int, type_name: str | None = None) -> None:
        """Run attempt ``attempt`` of the job, if it is still QUEUED for that attempt.

        ``type_name`` (the job's type, as queued) saves reading the job before taking it."""
        with span("job", {"esap.job.id": job_id, "esap.job.attempt": attempt}):
            await self._execute(job_id, attempt, type_name)

    async def _execute(self, job_id: str, attempt: int, type_name: str | None) -> None:
        remote = await self._starts_remotely(job_id, type_name)
        job = await self._take(job_id, attempt, remote)
        if job is None:
            return
        context = self._context
        if remote:  # the type reports EXECUTING (and SUSPENDED, QUEUED) as the remote side does
            recorder = RemotePhaseRecorder(store=self._store, bus=self._bus, job=job)
            context = replace(context, remote=recorder)
        else:
            await self._publish(job)
        finish = functools.partial(self._finish, remote_attempt=attempt if remote else None)
        job_type = self._types.get(job.type)
        if job_type is None:
            await finish(
                job.id,
                _P.ERROR,
                error=JobError(
                    type=classify(RuntimeError()).type,
                    code="unknown_job_type",
                    message=f"this worker does not know job type {job.type!r}; "
                    "it may run an older version than the gateway",
                ),
            )
            return
        # a remote job's duration is enforced by its batch system (the type passes it on as
        # the remote time limit) and, as for every job, by maintenance; its queue wait is free
        limit = None if remote else (job.execution_duration or None)
        try:
            async with asyncio.timeout(limit) as deadline:
                results = await job_type().run(job, context)
        except TimeoutError as exc:
            if deadline.expired():
                error = classify(ExecutionDurationExceeded(job.execution_duration))
                await finish(job.id, _P.ABORTED, error=error)
            else:
                await finish(job.id, _P.ERROR, error=classify(exc))
        except asyncio.CancelledError:
            # Abort: the service recorded ABORTED before cancelling us. Shutdown: the job
            # goes back to the queue now (or, if that fails, once maintenance sees this
            # worker is gone).
            if not remote:
                await asyncio.shield(self._hand_back(job, attempt))
            raise
        except Exception as exc:
            error = classify(exc)
            log = logger.warning if error.code != "internal_error" else logger.exception
            log("job %s failed: %s", job.id, error.message, exc_info=error.code == "internal_error")
            stopped = isinstance(exc, JobAbortedRemotely)
            await finish(job.id, _P.ABORTED if stopped else _P.ERROR, error=error)
        else:
            await finish(job.id, _P.COMPLETED, results=tuple(results))


#: Seconds past its execution duration after which maintenance ends a job its worker did not.
async def _retried(
    what: str, job_id: str, delays: tuple[float, ...], write: Callable[[], Awaitable[Job]]
) -> Job:
    """``write()`` to the store, tried again after each of ``delays`` seconds when the store
    cannot be reached; our own errors (``EsapError``: an illegal move, an unknown job) are
    answers, raised at once."""
    for delay in delays:
        try:
            return await write()
        except EsapError:
            raise
        except Exception:
            logger.exception("job %s: could not %s; retrying", job_id, what)
            await asyncio.sleep(delay)
    return await write()


_OVERDUE_GRACE = 30

Abort = Callable[[Job], Awaitable[None]]
#: Which of these QUEUED jobs the queue has no message for (``ArqJobQueue.lost``).
Lost = Callable[[list[Job]], Awaitable[list[Job]]]


class JobMaintenance:
    """Heartbeats of this process's executor, recovery of orphaned jobs, destruction."""

    def __init__(
        self,
        *,
        store: JobStore,
        bus: EventBus,
        results: ResultFiles,
        requeue: Requeue,
        abort: Abort,
        worker_id: str | None,
        worker_timeout: float,
        max_attempts: int,
        interval: float,
        metrics: Metrics = NO_METRICS,
        lost: Lost | None = None,
    ) -> None:
        self._lost = lost
        self._store = store
        self._bus = bus
        self._results = results
        self._metrics = metrics
        self._requeue = requeue
        self._abort = abort
        self._worker_id = worker_id
        self._worker_timeout = worker_timeout
        self._max_attempts = max_attempts
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        #: QUEUED attempts whose message the last round found missing (job id, attempts)
        self._missing: set[tuple[str, int]] = set()

    def start(self) -> None:
        """Run ``tick`` every interval in the background."""
        self._task = asyncio.create_task(self._loop(), name="job-maintenance")

    async def aclose(self) -> None:
        """Stop, and say this worker is gone (so its jobs are recovered at once)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._worker_id is not None:
            with contextlib.suppress(Exception):
                await self._store.remove_worker(self._worker_id)

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("job maintenance failed; trying again")
            await asyncio.sleep(self._interval)

    async def tick(self) -> None:
        """One round: heartbeat, recover orphans, destroy expired jobs."""
        now = utc_now()
        if self._worker_id is not None:
            await self._store.heartbeat(self._worker_id, now)
            self._metrics.heartbeat(now.timestamp())
        for job in await self._store.orphaned(now - timedelta(seconds=self._worker_timeout)):
            await self.recover(job)
        executing = await self._store.in_phase(_P.EXECUTING)
        if self._metrics is not NO_METRICS or self._lost is not None:
            queued = await self._store.in_phase(_P.QUEUED)
            self._metrics.jobs_waiting(
                collections.Counter((job.type, job.phase.value) for job in (*queued, *executing))
            )
            if self._lost is not None:  # waiting for a message the queue no longer has
                await self._requeue_lost([j for j in queued if j.worker is None])
        for job in executing:
            if job.start_time is not None and job.execution_duration:
                limit = job.start_time + timedelta(seconds=job.execution_duration + _OVERDUE_GRACE)
                if limit < now:
                    await self.end_overdue(job)
        for job in await self._store.expired(now):
            await self.destroy(job)

    async def _requeue_lost(self, queued: list[Job]) -> None:
        # A message missing at one look may only be late (the job is stored before it is
        # queued) or spent a moment ago (its worker finished it after the store was read):
        # lost is missing at two rounds in a row for the same attempt.
        assert self._lost is not None
        missing = {(job.id, job.attempts): job for job in await self._lost(queued)}
        seen_before, self._missing = self._missing, set(missing)
        for key, job in missing.items():
            if key in seen_before:
                logger.warning("job %s: its queue message was lost; queued again", job.id)
                self._missing.discard(key)
                await self._requeue(job, job.attempts + 1)

    async def end_overdue(self, job: Job) -> None:
        """A job still EXECUTING well past its duration (its worker could not record the
        end): abort it, saying so."""
        with contextlib.suppress(IllegalPhaseTransition):
            moved = await self._store.apply(
                job.id,
                finish(_P.ABORTED),
                end_time=utc_now(),
                error=classify(ExecutionDurationExceeded(job.execution_duration)),
            )
            await self._bus.publish(event_of(moved))
            await self._abort(moved)

    async def recover(self, job: Job) -> None:
        """The job's worker is gone: queue it again, or end it in ERROR after max attempts."""
        # a job whose remote start its worker awaited is still QUEUED, and stays so
        taken = job.phase is _P.QUEUED
        try:
            if job.attempts < self._max_attempts:
                logger.warning("job %s: worker %s lost; retrying", job.id, job.worker)
                moved = await self._store.apply(
                    job.id,
                    TAKE_QUEUED if taken else RETRY,
                    expect_attempts=job.attempts,
                    worker=None,
                )
                if not taken:
                    await self._bus.publish(event_of(moved))
                await self._requeue(moved, moved.attempts + 1)
            else:
                logger.warning("job %s: worker %s lost; giving up", job.id, job.worker)
                moved = await self._store.apply(
                    job.id,
                    finish_remote(_P.ERROR) if taken else finish(_P.ERROR),
                    expect_attempts=job.attempts,
                    end_time=utc_now(),
                    error=classify(WorkerLost(job.worker, job.attempts)),
                )
                await self._bus.publish(event_of(moved))
        except IllegalPhaseTransition:
            pass  # another process recovered it, or it finished after all

    async def destroy(self, job: Job) -> None:
        """Delete the job and its results (aborting it first if it still runs)."""
        await destroy_job(self._store, self._bus, self._results, self._abort, job)


async def destroy_job(
    store: JobStore, bus: EventBus, results: ResultFiles, abort: Abort, job: Job
) -> None:
    """Abort if active, delete results and record, announce the deletion."""
    if not job.phase.is_final:
        with contextlib.suppress(IllegalPhaseTransition):
            job = await store.apply(job.id, ABORT, end_time=utc_now())
            await abort(job)
    await results.delete(job.id)
    if await store.delete(job.id):
        await bus.publish(
            PhaseEvent(job_id=job.id, owner=job.owner, phase=job.phase, at=utc_now(), deleted=True)
        )
