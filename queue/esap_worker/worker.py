"""An arq worker that picks jobs up the moment they are queued, and never waits on its poll
timer while jobs are queued and it has a free slot.

arq polls its queue every ``poll_delay`` (0.5 s by default). Here every enqueue also pushes a
token on a Redis list that idle workers wait on with BLPOP, so exactly one worker wakes at
once for each new job; an abort is broadcast on a pub/sub channel (the worker running the job
must hear it); a worker also looks again the moment one of its jobs has freed its slot.
``poll_delay`` is only the fallback.

A poll claims as many queued jobs as the worker has free slots in one Redis script
(``CLAIM_SCRIPT``: exactly one worker gets each job). arq instead reads a window of queued ids
and checks each with WATCH/MULTI, and leaves running jobs in the queue for every worker to
re-check at every poll. Taking jobs out of the queue is safe because recovery of a dead
worker's job is ours: its heartbeat stops, and ``JobMaintenance`` queues a new attempt or ends
the job in ERROR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, cast

from arq.connections import RedisSettings, create_pool
from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker, func

from esap_graphql.config import Settings
from esap_graphql.messaging.arq_queue import (
    CLAIM_SCRIPT,
    RUN_JOB,
    json_deserialize,
    json_serialize,
    queue_name,
    ready_list,
    wake_channel,
)
from esap_worker.tasks import run_job, shutdown, startup

logger = logging.getLogger(__name__)


class WakeableWorker(Worker):
    """arq's worker, woken by Redis instead of only by its poll timer."""

    def __init__(self, *args: Any, wake_channel: str, ready_list: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_channel = wake_channel
        self._ready_list = ready_list
        self._wake = asyncio.Event()
        #: Polls, and polls that found a free slot and asked the queue for jobs (for tests
        #: and the benchmark: how often the worker looked, against how many jobs it ran).
        self.polls = 0
        self.claims = 0
        self._claim_script: Any = None  # registered on the pool in ``main``

    async def _listen(self) -> None:
        while True:
            pubsub = self.pool.pubsub()
            try:
                await pubsub.subscribe(self._wake_channel)
                self._wake.set()  # catch up with anything queued while not listening
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is not None:
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("wake-up channel failed; reconnecting")
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _take_tokens(self) -> None:
        while True:
            try:
                if self.job_counter >= self.max_jobs:
                    await asyncio.sleep(self.poll_delay_s)  # no free slot: nothing to wake for
                    continue
                popped = await cast(
                    Awaitable[list[Any] | None], self.pool.blpop([self._ready_list], timeout=1)
                )
                if popped is not None:
                    self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("ready list failed; retrying")
                await asyncio.sleep(1)

    async def claim(self, count: int) -> list[bytes]:
        """Take up to ``count`` due jobs out of the queue (none another worker has taken)."""
        claimed = await self._claim_script(
            keys=[self.queue_name],
            args=[
                timestamp_ms(),
                count,
                in_progress_key_prefix,
                int(self.in_progress_timeout_s * 1000),
            ],
        )
        return cast(list[bytes], claimed)

    async def _poll_iteration(self) -> None:
        """Claim a job for every free slot and start them; cancel aborted jobs."""
        self.polls += 1
        free = self.max_jobs - self.job_counter
        if free > 0 and self.allow_pick_jobs:
            self.claims += 1
            await self.start_jobs(await self.claim(free))
        if self.allow_abort_jobs:
            await self._cancel_aborted_jobs()
        for job_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[job_id]
                if not task.cancelled() and task.exception() is not None:
                    logger.error("job %s: arq failed around it", job_id, exc_info=task.exception())
        await self.heart_beat()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """Run jobs this worker has claimed (``claim``); one slot each."""
        for job_id_b in job_ids:
            job_id = job_id_b.decode()
            await self.sem.acquire()  # never waits: no more are claimed than slots are free
            self.job_counter += 1
            task = self.loop.create_task(self.run_job(job_id, timestamp_ms()))
            task.add_done_callback(self._slot_freed)
            self.tasks[job_id] = task

    def _slot_freed(self, _task: asyncio.Task[None]) -> None:
        # Wake only now that the slot is free: a wake-up sent when the job's own code ends
        # (before arq's bookkeeping) found the worker still full and was lost.
        self._release_sem_dec_counter_on_complete()
        self._wake.set()

    async def main(self) -> None:
        """arq's main loop with the poll timer replaced by wake-up-or-timeout."""
        if self._pool is None:
            self._pool = await create_pool(
                self.redis_settings,
                job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer,
                default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms,
            )
        self._claim_script = self.pool.register_script(CLAIM_SCRIPT)
        logger.info("starting worker on queue %s", self.queue_name)
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        listener = asyncio.create_task(self._listen(), name="wake-listener")
        taker = asyncio.create_task(self._take_tokens(), name="ready-tokens")
        try:
            while True:
                self._wake.clear()
                try:
                    await self._poll_iteration()
                except asyncio.CancelledError:
                    raise
                except Exception:  # Redis away for a moment: keep the worker, try again
                    logger.exception("polling the queue failed; retrying")
                    await asyncio.sleep(self.poll_delay_s)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_delay_s):
                        await self._wake.wait()
        finally:
            for task in (listener, taker):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def create_worker(settings: Settings, *, concurrency: int | None = None) -> WakeableWorker:
    """A worker for these settings (``redis_url`` is required)."""
    if not settings.redis_url:
        raise ValueError("ESAP_REDIS_URL is not set: workers take jobs from Redis")
    return WakeableWorker(
        functions=[func(run_job, name=RUN_JOB, max_tries=1)],
        queue_name=queue_name(settings.redis_prefix),
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        max_jobs=concurrency or settings.job_concurrency,
        # arq's own limit is only a backstop: the executor enforces each job's duration.
        job_timeout=settings.job_max_execution_duration + 60,
        keep_result=0,
        poll_delay=settings.job_poll_delay,
        max_tries=1,
        allow_abort_jobs=True,
        job_serializer=json_serialize,
        job_deserializer=json_deserialize,
        ctx={"settings": settings},
        wake_channel=wake_channel(settings.redis_prefix),
        ready_list=ready_list(settings.redis_prefix),
        log_results=False,
    )


def run(settings: Settings, *, concurrency: int | None = None) -> None:
    """Run a worker until SIGINT or SIGTERM."""
    create_worker(settings, concurrency=concurrency).run()
