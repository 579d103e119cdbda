"""Where started jobs wait for a worker: the ``JobQueue`` interface and the in-process runner.

The arq implementation is in ``arq_queue``. Both hand a job id, an attempt number and the
job's type to the job executor (``services.job_execution``); its compare-and-set on the job's
phase and attempt count makes a duplicate or stale delivery harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from esap_graphql.domain.jobs import Job

logger = logging.getLogger(__name__)


#: Runs one attempt of one job, by id, attempt and type (``JobExecutor.execute``).
RunAttempt = Callable[[str, int, str], Awaitable[None]]


class JobQueue(Protocol):
    """Hands jobs to workers and tells running ones to stop."""

    async def enqueue(self, job: Job, attempt: int) -> None:
        """Run attempt ``attempt`` of the job (now QUEUED) as soon as a worker is free."""

    async def abort(self, job: Job) -> None:
        """Stop the job if a worker is running it (its phase is already ABORTED)."""

    async def aclose(self) -> None:
        """Stop taking jobs; cancel what runs in this process."""


class InProcessJobQueue:
    """Runs jobs as tasks of the gateway's event loop, at most ``concurrency`` at once."""

    def __init__(self, *, run: RunAttempt, concurrency: int) -> None:
        self._execute = run
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def enqueue(self, job: Job, attempt: int) -> None:
        task = asyncio.create_task(self._run(job, attempt), name=f"job-{job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(functools.partial(self._forget, job.id))

    def _forget(self, job_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(job_id) is task:
            del self._tasks[job_id]

    async def _run(self, job: Job, attempt: int) -> None:
        async with self._slots:
            await self._execute(job.id, attempt, job.type)

    async def abort(self, job: Job) -> None:
        task = self._tasks.get(job.id)
        if task is not None:
            task.cancel()

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
