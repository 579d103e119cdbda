"""Jobs in a dict: the ``JobStore`` the service's unit tests run on (same rules as the SQL store,
no database)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from esap_graphql.domain.jobs import Job, JobFilter, UnknownJob
from esap_graphql.domain.uws import ExecutionPhase, IllegalPhaseTransition, Move
from esap_graphql.storage.job_store import UNFINISHED


class InMemoryJobStore:
    """Jobs in a dict: the test double of ``SqlJobStore`` (same rules, no database)."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.workers: dict[str, datetime] = {}

    async def add(self, job: Job, *, max_unfinished: int | None = None) -> bool:
        if max_unfinished is not None and await self.count_unfinished(job.owner) >= max_unfinished:
            return False
        self.jobs[job.id] = job
        return True

    async def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    async def find(self, owner: str, where: JobFilter) -> list[Job]:
        found = [
            j
            for j in self.jobs.values()
            if j.owner == owner
            and (
                j.phase in where.phases if where.phases else j.phase is not ExecutionPhase.ARCHIVED
            )
            and (where.after is None or j.creation_time > where.after)
        ]
        found.sort(key=lambda j: (j.creation_time, j.id), reverse=True)
        return found[: where.last] if where.last is not None else found

    async def count_unfinished(self, owner: str) -> int:
        return sum(1 for j in self.jobs.values() if j.owner == owner and j.phase in UNFINISHED)

    async def apply(
        self, job_id: str, move: Move, *, expect_attempts: int | None = None, **changes: Any
    ) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise UnknownJob(job_id)
        if job.phase not in move.sources or (
            expect_attempts is not None and job.attempts != expect_attempts
        ):
            raise IllegalPhaseTransition(job_id, job.phase, move.to)
        job = self.jobs[job_id] = job.with_changes(phase=move.to, **changes)
        return job

    async def update(
        self, job_id: str, *, only_in: Iterable[ExecutionPhase], **changes: Any
    ) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise UnknownJob(job_id)
        if job.phase not in frozenset(only_in):
            raise IllegalPhaseTransition(job_id, job.phase, job.phase)
        job = self.jobs[job_id] = job.with_changes(**changes)
        return job

    async def delete(self, job_id: str) -> bool:
        return self.jobs.pop(job_id, None) is not None

    async def expired(self, now: datetime) -> list[Job]:
        return [j for j in self.jobs.values() if j.destruction_time <= now]

    async def in_phase(self, phase: ExecutionPhase) -> list[Job]:
        return [j for j in self.jobs.values() if j.phase is phase]

    async def heartbeat(self, worker: str, at: datetime) -> None:
        self.workers[worker] = at

    async def remove_worker(self, worker: str) -> None:
        self.workers.pop(worker, None)

    async def live_workers(self, alive_since: datetime) -> int:
        return sum(1 for at in self.workers.values() if at >= alive_since)

    async def orphaned(self, alive_since: datetime) -> list[Job]:
        return [
            j
            for j in self.jobs.values()
            if (
                j.phase is ExecutionPhase.EXECUTING
                or (j.phase is ExecutionPhase.QUEUED and j.worker is not None)
            )
            and (
                j.worker is None
                or j.worker not in self.workers
                or self.workers[j.worker] < alive_since
            )
        ]
