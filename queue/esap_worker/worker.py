"""An arq worker that picks jobs up the moment they are queued, and never waits on its poll
timer while jobs are queued and it has a free slot.

arq polls its queue every ``poll_delay`` (0.5 s by default). Here every enqueue also pushes a
token on a Redis list that idle workers wait on with BLPOP, so exactly one worker wakes at
once for each new job; an abort is broadcast on a pub/sub channel (the worker running the job
must hear it); a worker also looks again the moment one of its jobs has freed its slot.
``poll_delay`` is only the fallback.

A poll is one Redis script (``POLL_SCRIPT``): it forgets the jobs the worker finished since
its last poll, reads the abort set, and claims as many queued jobs as the worker has free
slots (exactly one worker gets each job), with what arq's ``run_job`` would read for each in
a round trip of its own. arq instead reads a window of queued ids and checks each with
WATCH/MULTI, leaves running jobs in the queue for every worker to re-check at every poll,
and spends two more round trips per job (reading it, finishing it) and one per poll (the
abort set). Taking jobs out of the queue is safe because recovery of a dead worker's job is
ours: its heartbeat stops, and ``JobMaintenance`` queues a new attempt or ends the job in
ERROR. ``WakeableWorker.run_job`` is arq's ``run_job`` for this worker's configuration (one
function, no retries, no results kept, no cron); ``tests/jobs/test_worker_claims.py`` checks
that it leaves Redis as arq's own does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, cast

from arq.connections import RedisSettings, create_pool
from arq.constants import (
    abort_job_max_age,
    abort_jobs_ss,
    in_progress_key_prefix,
    job_key_prefix,
    retry_key_prefix,
)
from arq.jobs import SerializationError, deserialize_job_raw
from arq.utils import ms_to_datetime, timestamp_ms
from arq.worker import Worker, func

from esap_graphql.config import Settings
from esap_graphql.messaging.arq_queue import (
    POLL_SCRIPT,
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
        self._poll_script: Any = None  # registered on the pool in ``main``
        if self.keep_result_s or self.keep_result_forever or self.cron_jobs:
            raise ValueError("WakeableWorker keeps no results and runs no cron jobs")
        #: What the last poll read for each claimed job: (job, try count, aborted before start)
        self._claimed: dict[str, tuple[bytes | None, int, bool]] = {}
        #: Jobs run since the last poll, which forgets them: (arq job id, ended)
        self._finished: list[tuple[str, bool]] = []
        self._on_shutdown_after_flush = self.on_shutdown
        self.on_shutdown = self._flush_then_shutdown

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

    def _register(self) -> None:
        if self._poll_script is None:
            self._poll_script = self.pool.register_script(POLL_SCRIPT)

    async def look(self, count: int) -> tuple[list[str], list[bytes]]:
        """One round trip: forget the jobs finished since the last look, read the abort set,
        and take up to ``count`` due jobs out of the queue (none another worker has taken).
        Returns the aborted arq job ids and the claimed ones."""
        self._register()
        finished, self._finished = self._finished, []
        args: list[Any] = [
            timestamp_ms(),
            count,
            in_progress_key_prefix,
            int(self.in_progress_timeout_s * 1000),
            job_key_prefix,
            retry_key_prefix,
            timestamp_ms() + abort_job_max_age,  # what arq's _cancel_aborted_jobs drops
        ]
        for job_id, ended in finished:
            args += (job_id, b"1" if ended else b"0")
        try:
            aborted, claimed = await self._poll_script(
                keys=[self.queue_name, abort_jobs_ss], args=args
            )
        except BaseException:
            self._finished[:0] = finished  # forgotten at the next look (idempotent)
            raise
        ids = []
        for job_id_b, payload, job_try, was_aborted in claimed:
            self._claimed[job_id_b.decode()] = (payload, int(job_try), bool(was_aborted))
            ids.append(job_id_b)
        return [a.decode() for a in aborted], ids

    async def claim(self, count: int) -> list[bytes]:
        """Take up to ``count`` due jobs out of the queue (none another worker has taken)."""
        return (await self.look(count))[1]

    async def _poll_iteration(self) -> None:
        """Claim a job for every free slot and start them; cancel aborted jobs."""
        self.polls += 1
        free = self.max_jobs - self.job_counter
        wanted = free if free > 0 and self.allow_pick_jobs else 0
        if wanted:
            self.claims += 1
        aborted, claimed = await self.look(wanted)
        await self.start_jobs(claimed)
        if self.allow_abort_jobs:
            await self._cancel(aborted)
        for job_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[job_id]
                if not task.cancelled() and task.exception() is not None:
                    logger.error("job %s: arq failed around it", job_id, exc_info=task.exception())
        await self.heart_beat()

    async def _cancel(self, aborted: list[str]) -> None:
        # arq's _cancel_aborted_jobs after its read of the abort set (done by ``look``)
        cancelled = set()
        for job_id in aborted:
            task = self.job_tasks.get(job_id)
            if task is not None:
                cancelled.add(job_id)
                task.cancel()
        if cancelled:
            self.aborting_tasks.update(cancelled)
            await self.pool.zrem(abort_jobs_ss, *cancelled)

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """Run jobs this worker has claimed (``claim``); one slot each."""
        for job_id_b in job_ids:
            job_id = job_id_b.decode()
            await self.sem.acquire()  # never waits: no more are claimed than slots are free
            self.job_counter += 1
            task = self.loop.create_task(self.run_job(job_id, timestamp_ms()))
            task.add_done_callback(self._slot_freed)
            self.tasks[job_id] = task

    async def run_job(self, job_id: str, score: int) -> None:
        """arq's ``run_job`` for a job ``look`` claimed, without its two round trips: what
        it reads first came with the claim, and the job is forgotten at the next look."""
        payload, job_try, aborted = self._claimed.pop(job_id, (None, 1, False))
        ended = True
        try:
            ended = await self._run_claimed(job_id, score, payload, job_try, aborted)
        finally:
            self._finished.append((job_id, ended))

    async def _run_claimed(
        self, job_id: str, score: int, payload: bytes | None, job_try: int, aborted: bool
    ) -> bool:
        """Run the job; False when it was cancelled to be run again (arq then forgets only
        its in-progress key)."""
        if payload is None:
            logger.warning("job %s expired", job_id)
            self.jobs_failed += 1
            return True
        try:
            name, args, kwargs, enqueue_try, enqueue_ms = deserialize_job_raw(
                payload, deserializer=self.job_deserializer
            )
        except SerializationError:
            logger.exception("deserializing job %s failed", job_id)
            self.jobs_failed += 1
            return True
        function = self.functions.get(name)
        if aborted or function is None:
            if aborted:
                logger.info("job %s aborted before start", job_id)
            else:
                logger.warning("job %s, function %r not found", job_id, name)
            self.jobs_failed += 1
            return True
        job_try = max(job_try, enqueue_try or 0)
        max_tries = self.max_tries if function.max_tries is None else function.max_tries
        if job_try > max_tries:
            logger.warning("job %s: max %d retries exceeded", job_id, max_tries)
            self.jobs_failed += 1
            return True
        ctx = {
            **self.ctx,
            "job_id": job_id,
            "job_try": job_try,
            "enqueue_time": ms_to_datetime(enqueue_ms),
            "score": score,
        }
        if self.on_job_start:
            await self.on_job_start(ctx)
        timeout_s = self.job_timeout_s if function.timeout_s is None else function.timeout_s
        ended = True
        task = self.loop.create_task(function.coroutine(ctx, *args, **kwargs))
        self.job_tasks[job_id] = task
        try:
            await asyncio.wait_for(task, timeout_s)
        except asyncio.CancelledError:
            if job_id in self.aborting_tasks:  # aborted: arq ends it
                logger.info("job %s aborted", job_id)
                self.aborting_tasks.remove(job_id)
                self.jobs_failed += 1
            else:  # shutdown: arq would run it again (our executor hands it back)
                logger.info("job %s cancelled, will be run again", job_id)
                self.jobs_retried += 1
                ended = False
        except Exception as exc:
            logger.exception("job %s failed, %s: %s", job_id, exc.__class__.__name__, exc)
            self.jobs_failed += 1
        else:
            self.jobs_complete += 1
        finally:
            del self.job_tasks[job_id]
        if self.on_job_end:
            await self.on_job_end(ctx)
        if self.after_job_end:
            await self.after_job_end(ctx)
        return ended

    async def _flush_then_shutdown(self, ctx: dict[str, Any]) -> None:
        # arq's close: after the jobs' tasks ended, before the pool closes
        if self._finished:
            with contextlib.suppress(Exception):
                await self.look(0)
        if self._on_shutdown_after_flush is not None:
            await self._on_shutdown_after_flush(ctx)

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
        self._register()
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
