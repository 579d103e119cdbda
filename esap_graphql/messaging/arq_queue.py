"""The arq job queue: JSON (never pickle) on the wire, a wake-up token on every enqueue.

arq's default pickle serialisation would let anyone able to write to Redis run code in the
workers; jobs here carry only a job id, an attempt number and the job's type, so JSON is all
we need.

Enqueueing is one Redis script (one round trip), and so is a worker's look at the queue
(forget finished jobs, read the abort set, claim), written against arq's key layout
(``arq.constants``) and its job encoding (``arq.jobs.serialize_job``), so that arq's worker
code runs what they queue; ``tests/jobs/test_worker_layout.py`` checks that layout and
``tests/jobs/test_worker_claims.py`` that a job leaves Redis as arq's own worker leaves it.
"""

from __future__ import annotations

import json
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import abort_jobs_ss, job_key_prefix, result_key_prefix, retry_key_prefix
from arq.jobs import serialize_job
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

#: Enqueue one arq job unless that arq job id is already in the queue or kept a result
#: (arq's ``enqueue_job`` checks the same with WATCH/MULTI: four round trips), and push its
#: wake-up token. A job key left by a claim that no worker took up (the worker died between
#: claiming and recording the job, or the claim's reply was lost) is replaced, and its try
#: count reset: maintenance queues such an attempt again (``ArqJobQueue.lost``), and the
#: store's compare-and-set still lets only one worker run it. KEYS: job key, result key,
#: queue, ready list, retry key. ARGV: payload, expiry (ms), arq job id, score, token, most
#: tokens kept.
ENQUEUE_SCRIPT = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('ZSCORE', KEYS[3], ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[5])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
redis.call('RPUSH', KEYS[4], ARGV[5])
redis.call('LTRIM', KEYS[4], -tonumber(ARGV[6]), -1)
return 1
"""

#: Claim up to ARGV[2] queued arq jobs due by ARGV[1] (ms): take them out of the queue and
#: mark them in progress for ARGV[4] ms (arq's key, prefix ARGV[3]). Atomic, so of several
#: workers exactly one gets each job, and none spends a round trip on a job another took.
#: KEYS: queue. (Workers claim through ``POLL_SCRIPT``, which does this and more; this one
#: is the claim alone, for the bare-Redis floor of ``benchmarks/jobs.py``.)
CLAIM_SCRIPT = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('PSETEX', ARGV[3] .. id, ARGV[4], '1')
end
return ids
"""


#: One look at the queue by a worker, in one round trip (KEYS: queue, arq's abort set):
#:  - forget the arq jobs the worker finished since its last look, as arq's ``finish_job``
#:    does with ``keep_result=0`` (ARGV[8:], pairs of arq job id and '1' when the job ended,
#:    '0' when it was cancelled at shutdown: then only its in-progress key goes);
#:  - read the abort set and drop entries as arq's ``_cancel_aborted_jobs`` does (cut-off
#:    score ARGV[7]);
#:  - claim up to ARGV[2] due jobs as ``CLAIM_SCRIPT`` does, and read for each what arq's
#:    ``run_job`` reads first in its own round trip: the job (prefix ARGV[5]), its try count
#:    (retry key prefix ARGV[6], kept 88400 s as arq does) and whether it was aborted before it
#:    started (removed from the abort set).
#: Returns {aborted ids, {{id, job or nil, try, 1 if aborted}, ...}}.
POLL_SCRIPT = """
local queue, aborts = KEYS[1], KEYS[2]
local progress, job, retry = ARGV[3], ARGV[5], ARGV[6]
for i = 8, #ARGV, 2 do
  local id = ARGV[i]
  if ARGV[i + 1] == '1' then
    redis.call('DEL', progress .. id, retry .. id, job .. id)
    redis.call('ZREM', aborts, id)
    redis.call('ZREM', queue, id)
  else
    redis.call('DEL', progress .. id)
  end
end
local aborted = redis.call('ZRANGE', aborts, 0, -1)
redis.call('ZREMRANGEBYSCORE', aborts, ARGV[7], '+inf')
local claimed = {}
if tonumber(ARGV[2]) > 0 then
  local ids = redis.call('ZRANGEBYSCORE', queue, '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
  for _, id in ipairs(ids) do
    redis.call('ZREM', queue, id)
    redis.call('PSETEX', progress .. id, ARGV[4], '1')
    local payload = redis.call('GET', job .. id)
    local try = redis.call('INCR', retry .. id)
    redis.call('EXPIRE', retry .. id, 88400)
    claimed[#claimed + 1] = {id, payload, try, redis.call('ZREM', aborts, id)}
  end
end
return {aborted, claimed}
"""


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
        self._expires_ms = max(job_timeout, 3600) * 2 * 1000
        self._enqueue = pool.register_script(ENQUEUE_SCRIPT)

    async def enqueue(self, job: Job, attempt: int) -> None:
        arq_id = arq_job_id(job.id, attempt)
        now = timestamp_ms()
        # the request's trace goes with the job (W3C traceparent); none when tracing is off
        carrier = tracing.carrier()
        trace = (carrier,) if carrier else ()
        payload = serialize_job(
            RUN_JOB, (job.id, attempt, job.type, *trace), {}, None, now, serializer=json_serialize
        )
        await self._enqueue(
            keys=[
                job_key_prefix + arq_id,
                result_key_prefix + arq_id,
                self._queue,
                self._ready,
                retry_key_prefix + arq_id,
            ],
            args=[payload, self._expires_ms, arq_id, now, job.id, MAX_READY_TOKENS],
        )

    async def lost(self, jobs: list[Job]) -> list[Job]:
        """Those of these QUEUED jobs (no worker recorded) whose next attempt is not waiting
        in the queue: its message was lost (Redis restarted without its data, keys deleted),
        or a worker claimed it and never took it up (it died in between, or the claim's reply
        was lost). Either may also be a moment's state (a job stored before it is queued, or
        claimed while the store was read): the caller judges over two looks. One round trip
        for all."""
        if not jobs:
            return []
        async with self._pool.pipeline(transaction=False) as pipe:
            for job in jobs:
                pipe.zscore(self._queue, arq_job_id(job.id, job.attempts + 1))
            scores = await pipe.execute()
        return [job for job, score in zip(jobs, scores, strict=True) if score is None]

    async def abort(self, job: Job) -> None:
        if job.attempts:
            await self._pool.zadd(abort_jobs_ss, {arq_job_id(job.id, job.attempts): timestamp_ms()})
            await self._pool.publish(self._wake, job.id)

    async def aclose(self) -> None:
        await self._pool.aclose()
