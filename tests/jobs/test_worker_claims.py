"""How an arq worker takes a burst of queued jobs (real Redis, the real arq run loop, jobs
recorded instead of executed): every job is claimed exactly once, a burst larger than the
worker's slots or arq's read window is claimed without waiting for the fallback poll, and a
claim never spends a round trip on a job another worker took."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.constants import (
    abort_jobs_ss,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.utils import timestamp_ms
from arq.worker import Worker, func
from esap_worker.tasks import STATE
from esap_worker.worker import WakeableWorker, create_worker

from esap_graphql.config import Settings
from esap_graphql.domain.jobs import Job, utc_now
from esap_graphql.domain.uws import ExecutionPhase
from esap_graphql.messaging.arq_queue import (
    RUN_JOB,
    ArqJobQueue,
    create_arq_pool,
    json_deserialize,
    json_serialize,
)
from tests.jobs.conftest import REDIS_URL

pytestmark = pytest.mark.redis

#: The fallback poll: an hour, so a worker that relied on it would never finish a test.
NEVER = 3600.0


def queued_job() -> Job:
    now = utc_now()
    return Job(
        id=uuid.uuid4().hex,
        owner="u1",
        type="test.sleep",
        phase=ExecutionPhase.QUEUED,
        parameters={},
        creation_time=now,
        execution_duration=60,
        destruction_time=now + timedelta(days=1),
    )


class RecordingExecutor:
    """Stands in for ``JobExecutor``: records each attempt it is handed."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, int, str | None]] = []
        self.all_ran = asyncio.Event()
        self.expected = 0

    async def execute(self, job_id: str, attempt: int, type_name: str | None = None) -> None:
        await asyncio.sleep(0)
        self.ran.append((job_id, attempt, type_name))
        if len(self.ran) >= self.expected:
            self.all_ran.set()


class RecordingWorker:
    def __init__(self, executor: RecordingExecutor) -> None:
        self.executor = executor

    async def aclose(self) -> None:
        pass


def worker_for(prefix: str, *, slots: int) -> WakeableWorker:
    settings = Settings(redis_url=REDIS_URL, redis_prefix=prefix, job_poll_delay=NEVER)
    worker = create_worker(settings, concurrency=slots)
    worker.on_startup = None  # no database: the executor is the recording one
    worker.on_shutdown = None
    return worker


async def enqueue_jobs(prefix: str, jobs: list[Job]) -> list[Job]:
    queue = ArqJobQueue(pool=await create_arq_pool(REDIS_URL), prefix=prefix, job_timeout=60)
    try:
        for job in jobs:
            await queue.enqueue(job, 1)
        return jobs
    finally:
        await queue.aclose()


async def enqueue(prefix: str, count: int) -> list[Job]:
    return await enqueue_jobs(prefix, [queued_job() for _ in range(count)])


async def test_a_burst_four_times_the_slots_runs_without_the_fallback_poll(
    redis_prefix: str,
) -> None:
    jobs = await enqueue(redis_prefix, 40)
    executor = RecordingExecutor()
    executor.expected = len(jobs)
    worker = worker_for(redis_prefix, slots=10)
    worker.ctx[STATE] = RecordingWorker(executor)
    main = asyncio.create_task(worker.main())
    try:
        # a guard against a hang, not a timing: the poll timer alone would take an hour
        async with asyncio.timeout(60):
            await executor.all_ran.wait()
    finally:
        main.cancel()
        with pytest.raises(asyncio.CancelledError):
            await main
        await worker.pool.aclose()
    assert Counter(job_id for job_id, _, _ in executor.ran) == {job.id: 1 for job in jobs}
    assert {(attempt, type_name) for _, attempt, type_name in executor.ran} == {(1, "test.sleep")}
    # each of the 40 jobs needed a free slot: the worker woke for them as slots freed, and
    # every look at the queue with a free slot took at least one job, bar the last
    assert worker.claims <= len(jobs) + 1


async def test_claims_split_a_burst_larger_than_the_window_exactly(redis_prefix: str) -> None:
    jobs = await enqueue(redis_prefix, 250)  # arq's window reads 100 queued ids a poll
    first, second = worker_for(redis_prefix, slots=100), worker_for(redis_prefix, slots=100)
    pool = await create_arq_pool(REDIS_URL)
    claimed: list[list[bytes]] = []
    try:
        for worker in (first, second):
            worker._pool = pool
        for worker in (first, second, first, second):
            claimed.append(await worker.claim(100))
        in_progress = await pool.exists(*(in_progress_key_prefix + f"{j.id}.1" for j in jobs))
        left = await pool.zcard(f"{redis_prefix}:queue")
    finally:
        for prefix in (in_progress_key_prefix, retry_key_prefix, job_key_prefix):
            await pool.delete(*(prefix + f"{j.id}.1" for j in jobs))
        await pool.aclose()
    assert [len(batch) for batch in claimed] == [100, 100, 50, 0]
    everything: list[Any] = [job_id for batch in claimed for job_id in batch]
    assert sorted(everything) == sorted(f"{j.id}.1".encode() for j in jobs)  # each once
    assert in_progress == 250
    assert left == 0


async def test_a_claim_no_worker_took_up_is_queued_again_and_runs_once(
    redis_prefix: str,
) -> None:
    # A worker claims a job and dies (or loses the claim's reply) before recording it: the
    # job is out of the queue, its message and in-progress mark still there, and the store
    # still says QUEUED with no worker. ``lost`` names it, and queueing it again replaces
    # the stale message (its try count too, or arq's one-try rule would refuse the run).
    [job] = await enqueue(redis_prefix, 1)
    pool = await create_arq_pool(REDIS_URL)
    queue = ArqJobQueue(pool=pool, prefix=redis_prefix, job_timeout=60)
    dead = worker_for(redis_prefix, slots=1)
    dead._pool = pool
    executor = RecordingExecutor()
    executor.expected = 1
    worker = worker_for(redis_prefix, slots=10)
    worker.ctx[STATE] = RecordingWorker(executor)
    try:
        assert await queue.lost([job]) == []  # waiting in the queue
        assert await dead.claim(1) == [f"{job.id}.1".encode()]
        assert await queue.lost([job]) == [job]
        await queue.enqueue(job, 1)
        assert await queue.lost([job]) == []
        await queue.enqueue(job, 1)  # already queued again: nothing more
        assert await pool.zcard(f"{redis_prefix}:queue") == 1
        main = asyncio.create_task(worker.main())
        try:
            async with asyncio.timeout(60):  # a guard against a hang, not a timing
                await executor.all_ran.wait()
            await asyncio.sleep(0.2)  # a second run, if there were one, would come now
        finally:
            main.cancel()
            with pytest.raises(asyncio.CancelledError):
                await main
            await worker.pool.aclose()
    finally:
        await queue.aclose()
    assert executor.ran == [(job.id, 1, "test.sleep")]


# ---- WakeableWorker.run_job against arq's own run_job --------------------------------------


def arq_keys(arq_id: str, queue: str) -> tuple[str, ...]:
    return (
        job_key_prefix + arq_id,
        retry_key_prefix + arq_id,
        in_progress_key_prefix + arq_id,
        result_key_prefix + arq_id,
    )


async def left_in_redis(pool: ArqRedis, arq_id: str, queue: str) -> dict[str, Any]:
    """What Redis holds about one arq job once a worker is done with it."""
    return {
        **{key.split(":")[1]: bool(await pool.exists(key)) for key in arq_keys(arq_id, queue)},
        "queued": await pool.zscore(queue, arq_id) is not None,
        "abort": await pool.zscore(abort_jobs_ss, arq_id) is not None,
    }


async def run_one(
    kind: str, scenario: str, prefix: str, pool: ArqRedis
) -> tuple[list[str], dict[str, Any]]:
    """Queue one job, and run it through arq's own worker (``kind`` "arq") or ours; the
    calls of the job function and what Redis keeps about the job afterwards."""
    calls: list[str] = []

    async def function(ctx: dict[str, Any], job_id: str, *args: Any) -> None:
        calls.append(ctx["job_id"])
        if scenario == "raises":
            raise ValueError("on purpose")

    job = queued_job()
    await enqueue_jobs(prefix, [job])
    arq_id, queue = f"{job.id}.1", f"{prefix}:queue"
    if scenario == "aborted before start":
        await pool.zadd(abort_jobs_ss, {arq_id: timestamp_ms()})
    if scenario == "expired":
        await pool.delete(job_key_prefix + arq_id)
    options: dict[str, Any] = {
        "functions": [func(function, name=RUN_JOB, max_tries=1)],
        "queue_name": queue,
        "keep_result": 0,
        "max_tries": 1,
        "allow_abort_jobs": True,
        "job_serializer": json_serialize,
        "job_deserializer": json_deserialize,
        "handle_signals": False,
    }
    worker: Worker
    if kind == "arq":
        worker = Worker(**options)
        worker._pool = pool
        await worker.start_jobs([arq_id.encode()])  # arq's check and in-progress mark
    else:
        ours = WakeableWorker(**options, wake_channel="-", ready_list="-")
        ours._pool = pool
        await ours.start_jobs(await ours.claim(10))
        worker = ours
    await asyncio.gather(*worker.tasks.values())
    if kind != "arq":
        await ours.look(0)  # the next look forgets the finished job
    try:
        return calls, await left_in_redis(pool, arq_id, queue)
    finally:
        await pool.delete(*arq_keys(arq_id, queue))
        await pool.zrem(abort_jobs_ss, arq_id)


@pytest.mark.parametrize("scenario", ["runs", "raises", "aborted before start", "expired"])
async def test_run_job_leaves_redis_as_arqs_own_run_job_does(
    redis_prefix: str, scenario: str
) -> None:
    pool = await create_arq_pool(REDIS_URL)
    try:
        arq_calls, arq_left = await run_one("arq", scenario, f"{redis_prefix}:a", pool)
        our_calls, our_left = await run_one("ours", scenario, f"{redis_prefix}:b", pool)
    finally:
        await pool.aclose()
    assert len(our_calls) == len(arq_calls) == (1 if scenario in ("runs", "raises") else 0)
    assert our_left == arq_left
    assert not any(arq_left.values())  # keep_result=0: nothing is left of a finished job
