"""Phases of jobs whose start is decided elsewhere (a batch system's scheduler).

A worker that takes such a job leaves it QUEUED (``JobExecutor`` claims it without changing
its phase); the job type then reports what the remote system says through a
``RemotePhaseRecorder`` (its ``JobContext.remote``): EXECUTING when the remote job starts,
SUSPENDED and back, QUEUED again if the remote system requeues it. Each change is a
compare-and-set on the phase and the attempt (a stale worker changes nothing) and is
published on the event bus at once. The final phase stays the executor's business.
"""

from __future__ import annotations

import logging

from esap_graphql.domain.jobs import Job, PhaseEvent, UnknownJob, utc_now
from esap_graphql.domain.uws import REMOTE_PHASES, ExecutionPhase, IllegalPhaseTransition, remote
from esap_graphql.messaging.event_bus import EventBus
from esap_graphql.storage.job_store import JobStore

logger = logging.getLogger(__name__)

_P = ExecutionPhase


class RemotePhaseRecorder:
    """Moves one claimed job between QUEUED, EXECUTING and SUSPENDED as the remote side
    reports (``JobContext.remote`` of its run)."""

    def __init__(self, *, store: JobStore, bus: EventBus, job: Job) -> None:
        self._store = store
        self._bus = bus
        self._job = job

    @property
    def phase(self) -> ExecutionPhase:
        """The phase last recorded."""
        return self._job.phase

    async def stopped(self) -> bool:
        """True when the job was aborted, ended or deleted (not when another attempt took it
        over: that one follows the same remote job)."""
        job = await self._store.get(self._job.id)
        return job is None or job.phase.is_final

    async def report(self, phase: ExecutionPhase) -> None:
        """Record ``phase`` (one of ``REMOTE_PHASES``) and announce it; nothing when the job
        is already there, or has meanwhile been aborted, deleted or taken by another worker."""
        if phase not in REMOTE_PHASES:
            raise ValueError(f"{phase.value} is not a phase a remote system reports")
        if phase is self._job.phase:
            return
        if phase is _P.SUSPENDED and self._job.phase is _P.QUEUED:
            await self.report(_P.EXECUTING)  # it ran before it was suspended
        changes = {}
        if phase is _P.EXECUTING and self._job.start_time is None:
            changes["start_time"] = utc_now()
        try:
            job = await self._store.apply(
                self._job.id, remote(phase), expect_attempts=self._job.attempts, **changes
            )
        except (IllegalPhaseTransition, UnknownJob) as exc:
            logger.info("job %s: remote phase %s not recorded (%s)", self._job.id, phase, exc)
            return
        self._job = job
        try:
            await self._bus.publish(
                PhaseEvent(job_id=job.id, owner=job.owner, phase=job.phase, at=utc_now())
            )
        except Exception:  # the store holds the phase; a lost event must not stop the job
            logger.exception("job %s: could not publish phase %s", job.id, job.phase.value)
