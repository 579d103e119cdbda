"""An arq worker that picks jobs up the moment they are queued.

arq polls its queue every ``poll_delay`` (0.5 s by default). Here every enqueue also pushes a
token on a Redis list that idle workers wait on with BLPOP, so exactly one worker wakes at
once for each new job; an abort is broadcast on a pub/sub channel (the worker running the job
must hear it); a worker also looks again as soon as one of its jobs ends. ``poll_delay`` is
only the fallback.

It also claims a job by removing it from the queue (``ZREM``: exactly one worker gets 1).
arq leaves running jobs in the queue and has every worker re-check each of them at every
poll (three round trips per job id), which made several workers slower than one. Leaving
the queue is safe here because recovery of a dead worker's job is ours: its heartbeat
stops, and ``JobMaintenance`` queues a new attempt or ends the job in ERROR.
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
    RUN_JOB,
    json_deserialize,
    json_serialize,
    queue_name,
    ready_list,
    wake_channel,
)
from esap_worker.tasks import WAKE, run_job, shutdown, startup

logger = logging.getLogger(__name__)


class WakeableWorker(Worker):
    """arq's worker, woken by pub/sub instead of only by its poll timer."""

    def __init__(self, *args: Any, wake_channel: str, ready_list: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_channel = wake_channel
        self._ready_list = ready_list
        self._wake = asyncio.Event()
        self.ctx[WAKE] = self._wake

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

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """Claim jobs with ZREM and run them (replaces arq's WATCH/MULTI per job id)."""
        for job_id_b in job_ids:
            if self.job_counter >= self.max_jobs:
                return
            job_id = job_id_b.decode()
            if not await self.pool.zrem(self.queue_name, job_id):
                continue  # another worker has it
            await self.sem.acquire()
            self.job_counter += 1
            await self.pool.psetex(
                in_progress_key_prefix + job_id, int(self.in_progress_timeout_s * 1000), b"1"
            )
            task = self.loop.create_task(self.run_job(job_id, timestamp_ms()))
            task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
            self.tasks[job_id] = task

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
        logger.info("starting worker on queue %s", self.queue_name)
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        listener = asyncio.create_task(self._listen(), name="wake-listener")
        taker = asyncio.create_task(self._take_tokens(), name="ready-tokens")
        try:
            while True:
                self._wake.clear()
                await self._poll_iteration()
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
