"""Durable job state: the ``JobStore`` interface. Its implementations: ``sql_job_store`` (SQLite
and PostgreSQL) and ``memory_job_store`` (for tests).

Which phase changes are allowed is the domain's rule (``domain.uws``: the ``Move`` values);
a store only applies a move as a compare-and-set, so that a gateway, several workers and a
reaper can race on one job and exactly one of them wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from esap_graphql.domain.jobs import Job, JobFilter
from esap_graphql.domain.uws import FINAL_PHASES, ExecutionPhase, Move

#: Phases of jobs that have not ended (they count against the owner's limit).
UNFINISHED = frozenset(
    p for p in ExecutionPhase if p not in FINAL_PHASES and p is not ExecutionPhase.UNKNOWN
)


class JobStore(Protocol):
    """Where jobs live between requests, workers and restarts."""

    async def add(self, job: Job, *, max_unfinished: int | None = None) -> bool:
        """Store a new job; with ``max_unfinished``, only if its owner has fewer unfinished
        jobs than that (one statement: no count and insert apart). False when not stored."""

    async def get(self, job_id: str) -> Job | None:
        """The job, or None."""

    async def find(self, owner: str, where: JobFilter) -> list[Job]:
        """The owner's jobs, newest first."""

    async def count_unfinished(self, owner: str) -> int:
        """How many of the owner's jobs are not in a final phase."""

    async def apply(
        self, job_id: str, move: Move, *, expect_attempts: int | None = None, **changes: Any
    ) -> Job:
        """Compare and set: the job takes ``move.to`` (and ``changes``) if its phase is one of
        ``move.sources`` (and it has ``expect_attempts`` attempts, when given).

        Raise ``UnknownJob``, or ``IllegalPhaseTransition`` naming the phase it is in.
        """

    async def update(
        self, job_id: str, *, only_in: Iterable[ExecutionPhase], **changes: Any
    ) -> Job:
        """Change attributes other than the phase while the job is in one of ``only_in``."""

    async def delete(self, job_id: str) -> bool:
        """Forget the job; False when there was none."""

    async def expired(self, now: datetime) -> list[Job]:
        """Jobs whose destruction time has passed."""

    async def in_phase(self, phase: ExecutionPhase) -> list[Job]:
        """Every job in this phase (recovery after a restart)."""

    async def heartbeat(self, worker: str, at: datetime) -> None:
        """Record that the worker is alive."""

    async def remove_worker(self, worker: str) -> None:
        """The worker stopped cleanly."""

    async def live_workers(self, alive_since: datetime) -> int:
        """Workers that sent a heartbeat since ``alive_since``."""

    async def orphaned(self, alive_since: datetime) -> list[Job]:
        """EXECUTING jobs whose worker has not sent a heartbeat since ``alive_since``, and
        QUEUED ones such a worker had taken (a job waiting for a remote start)."""
