"""The arq job queue: JSON (never pickle) on the wire, a wake-up message on every enqueue.

arq's default pickle serialisation would let anyone able to write to Redis run code in the
workers; jobs here carry only a job id and an attempt number, so JSON is all we need.
"""

from __future__ import annotations

import json
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import abort_jobs_ss, job_key_prefix
from arq.utils import timestamp_ms

from esap_graphql.domain.jobs import Job
from esap_graphql.telemetry import tracing

#: The arq function every job runs through (see ``esap_worker.tasks``).
RUN_JOB = "run_job"


def json_serialize(data: Any) -> bytes:
    """arq serializer: JSON; anything JSON cannot hold (an exception arq records) as its repr."""
    return json.dumps(data, default=repr).encode()


def json_deserialize(data: bytes) -> Any:
    """arq deserializer: JSON only."""
    return json.loads(data)


def queue_name(prefix: str) -> str:
    """The arq queue (a Redis sorted set) for this deployment's key prefix."""
    return f"{prefix}:queue"


def wake_channel(prefix: str) -> str:
    """The pub/sub channel every worker listens on: an abort must reach the one running it."""
    return f"{prefix}:wake"


def ready_list(prefix: str) -> str:
    """A Redis list with one token per queued job: exactly one idle worker pops each (BLPOP),
    so a new job wakes one worker rather than all of them."""
    return f"{prefix}:ready"


#: Most wake-up tokens kept while no worker pops them (each is only a hint).
MAX_READY_TOKENS = 10_000


def arq_job_id(job_id: str, attempt: int) -> str:
    """arq's id for one attempt of a job (a retry is a new arq job)."""
    return f"{job_id}.{attempt}"


async def create_arq_pool(redis_url: str) -> ArqRedis:
    """A Redis pool speaking arq with the JSON serializer."""
    return await create_pool(
        RedisSettings.from_dsn(redis_url),
        job_serializer=json_serialize,
        job_deserializer=json_deserialize,
    )


class ArqJobQueue:
    """Enqueues attempts as arq jobs and aborts running ones through arq's abort set."""

    def __init__(self, *, pool: ArqRedis, prefix: str, job_timeout: int) -> None:
        self._pool = pool
        self._prefix = prefix
        self._queue = queue_name(prefix)
        self._wake = wake_channel(prefix)
        self._ready = ready_list(prefix)
        self._job_timeout = job_timeout

    async def enqueue(self, job: Job, attempt: int) -> None:
        # the request's trace goes with the job (W3C traceparent); none when tracing is off
        trace = tracing.carrier()
        await self._pool.enqueue_job(
            RUN_JOB,
            job.id,
            attempt,
            *((trace,) if trace else ()),
            _job_id=arq_job_id(job.id, attempt),
            _queue_name=self._queue,
            _expires=max(self._job_timeout, 3600) * 2,
        )
        async with self._pool.pipeline(transaction=False) as pipe:
            pipe.rpush(self._ready, job.id)
            pipe.ltrim(self._ready, -MAX_READY_TOKENS, -1)
            await pipe.execute()

    async def lost(self, jobs: list[Job]) -> list[Job]:
        """Those of these QUEUED jobs whose next attempt has no arq job (its message was
        lost: Redis restarted without its data, keys deleted): one round trip for all."""
        if not jobs:
            return []
        async with self._pool.pipeline(transaction=False) as pipe:
            for job in jobs:
                pipe.exists(job_key_prefix + arq_job_id(job.id, job.attempts + 1))
            found = await pipe.execute()
        return [job for job, there in zip(jobs, found, strict=True) if not there]

    async def abort(self, job: Job) -> None:
        if job.attempts:
            await self._pool.zadd(abort_jobs_ss, {arq_job_id(job.id, job.attempts): timestamp_ms()})
            await self._pool.publish(self._wake, job.id)

    async def aclose(self) -> None:
        await self._pool.aclose()
