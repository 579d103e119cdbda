"""Assembles the job machinery from settings: arq + Redis when ``redis_url`` is set, the
in-process runner and in-memory bus otherwise. Used by the gateway and by workers."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import redis.asyncio as redis
from sqlalchemy.ext.asyncio import AsyncEngine

from esap_graphql.config import Settings
from esap_graphql.domain.jobs import utc_now
from esap_graphql.services.analysis_runtime import AnalysisRuntime
from esap_graphql.services.arq_queue import ArqJobQueue, create_arq_pool
from esap_graphql.services.basket import BasketService
from esap_graphql.services.dataset_query import DatasetQueryService
from esap_graphql.services.event_bus import EventBus, InMemoryEventBus, RedisEventBus
from esap_graphql.services.job_execution import JobExecutor, JobMaintenance
from esap_graphql.services.job_queue import InProcessJobQueue, JobQueue
from esap_graphql.services.job_types import JOB_TYPES, JobContext
from esap_graphql.services.jobs import JobPolicy, JobService
from esap_graphql.storage.job_store import JobStore, SqlJobStore
from esap_graphql.storage.result_files import ResultFiles


def new_worker_id(kind: str) -> str:
    """A unique name for an executing process: kind, host, pid and a random suffix."""
    return f"{kind}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def job_policy(settings: Settings) -> JobPolicy:
    """The job limits from settings."""
    return JobPolicy(
        default_execution_duration=settings.job_execution_duration,
        max_execution_duration=settings.job_max_execution_duration,
        destruction_delay=timedelta(seconds=settings.job_destruction_delay),
        max_unfinished_jobs=settings.job_max_unfinished,
    )


def job_context(
    settings: Settings,
    *,
    queries: DatasetQueryService,
    http: httpx.AsyncClient,
    baskets: BasketService | None = None,
    analysis: AnalysisRuntime | None = None,
) -> JobContext:
    """What job code gets, from settings and shared clients."""
    return JobContext(
        queries=queries,
        http=http,
        baskets=baskets,
        analysis=analysis,
        results=ResultFiles(root=settings.results_dir()),
        remote_timeout=settings.job_remote_timeout,
        remote_poll_interval=settings.job_remote_poll_interval,
    )


def redis_client(settings: Settings) -> redis.Redis:
    """A Redis client for events, with timeouts on every call."""
    assert settings.redis_url is not None
    client: redis.Redis = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=5, socket_timeout=None, health_check_interval=30
    )
    return client


@dataclass(kw_only=True)
class JobRuntime:
    """The job service and what it owns."""

    service: JobService
    store: JobStore
    bus: EventBus
    queue: JobQueue
    maintenance: JobMaintenance
    mode: str
    _redis: redis.Redis | None = field(default=None)

    async def aclose(self) -> None:
        """Stop maintenance, running in-process jobs, and close connections."""
        await self.maintenance.aclose()
        await self.queue.aclose()
        await self.bus.aclose()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()


async def build_job_runtime(
    settings: Settings,
    *,
    engine: AsyncEngine,
    queries: DatasetQueryService,
    http: httpx.AsyncClient,
    baskets: BasketService | None = None,
    store: JobStore | None = None,
    analysis: AnalysisRuntime | None = None,
) -> JobRuntime:
    """The job runtime of a gateway process (started: maintenance runs in the background)."""
    store = store or SqlJobStore(engine=engine)
    context = job_context(settings, queries=queries, http=http, baskets=baskets, analysis=analysis)
    client: redis.Redis | None = None
    bus: EventBus
    queue: JobQueue
    worker_id: str | None
    if settings.redis_url:
        client = redis_client(settings)
        bus = RedisEventBus(client=client, prefix=settings.redis_prefix)
        pool = await create_arq_pool(settings.redis_url)
        queue = ArqJobQueue(
            pool=pool,
            prefix=settings.redis_prefix,
            job_timeout=settings.job_max_execution_duration,
        )
        worker_id = None  # the gateway runs no jobs; it only recovers and destroys them
        mode = "arq"
    else:
        bus = InMemoryEventBus()
        worker_id = new_worker_id("inprocess")
        executor = JobExecutor(
            store=store, bus=bus, context=context, types=JOB_TYPES, worker_id=worker_id
        )
        queue = InProcessJobQueue(executor=executor, concurrency=settings.job_concurrency)
        mode = "in-process"
    service = JobService(
        store=store,
        queue=queue,
        bus=bus,
        results=context.results,
        types=JOB_TYPES,
        policy=job_policy(settings),
    )
    maintenance = JobMaintenance(
        store=store,
        bus=bus,
        results=context.results,
        requeue=queue.enqueue,
        abort=queue.abort,
        worker_id=worker_id,
        worker_timeout=settings.job_worker_timeout,
        max_attempts=settings.job_max_attempts,
        interval=settings.job_maintenance_interval,
    )
    if worker_id is not None:
        await store.heartbeat(worker_id, utc_now())
        await service.recover_queued()
    maintenance.start()
    return JobRuntime(
        service=service,
        store=store,
        bus=bus,
        queue=queue,
        maintenance=maintenance,
        mode=mode,
        _redis=client,
    )
