"""The arq task every job runs through, and the worker's start-up and shut-down."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from esap_graphql.config import Settings, load_catalogue
from esap_graphql.context import (
    build_connectors,
    build_http_client,
    build_name_resolution,
    build_target_positions,
)
from esap_graphql.domain.archives import Catalogue
from esap_graphql.domain.basket import BasketLimits
from esap_graphql.domain.records import ResultSet
from esap_graphql.services.arq_queue import ArqJobQueue
from esap_graphql.services.basket import BasketService
from esap_graphql.services.dataset_query import DatasetQueryService, QueryLimits
from esap_graphql.services.event_bus import RedisEventBus
from esap_graphql.services.job_execution import JobExecutor, JobMaintenance
from esap_graphql.services.job_runtime import job_context, new_worker_id, redis_client
from esap_graphql.services.job_types import JOB_TYPES
from esap_graphql.services.result_cache import ResultCache
from esap_graphql.storage.basket_store import SqlBasketStore
from esap_graphql.storage.database import create_engine, database_url, migrate
from esap_graphql.storage.job_store import SqlJobStore

logger = logging.getLogger(__name__)

#: Key of the worker state in arq's ctx dict.
STATE = "esap"
#: Key of the asyncio.Event that makes the worker look at the queue at once.
WAKE = "esap_wake"


@dataclass(kw_only=True)
class WorkerState:
    """What one worker process owns."""

    settings: Settings
    http: httpx.AsyncClient
    engine: AsyncEngine
    bus: RedisEventBus
    executor: JobExecutor
    maintenance: JobMaintenance

    async def aclose(self) -> None:
        """Stop maintenance (dropping our heartbeat) and close connections."""
        await self.maintenance.aclose()
        await self.bus.aclose()
        await self.http.aclose()
        await self.engine.dispose()


def build_queries(
    settings: Settings, catalogue: Catalogue, http: httpx.AsyncClient
) -> DatasetQueryService:
    """The dataset query service a worker's jobs use (no result cache across jobs)."""
    connectors = build_connectors(http)
    names = build_name_resolution(settings, http)
    return DatasetQueryService(
        catalogue=catalogue,
        connectors=connectors,
        targets=build_target_positions(settings, names, connectors),
        limits=QueryLimits(
            timeout=settings.query_timeout,
            max_records=settings.max_records,
            max_page_size=settings.max_page_size,
            per_service_concurrency=settings.per_service_concurrency,
            global_concurrency=settings.global_concurrency,
        ),
        cache=ResultCache[ResultSet](ttl=0, size=0),
    )


def build_baskets(settings: Settings, catalogue: Catalogue, engine: AsyncEngine) -> BasketService:
    """The basket service basket.export reads users' baskets through."""
    return BasketService(
        store=SqlBasketStore(engine=engine),
        catalogue=catalogue,
        limits=BasketLimits(
            max_items_per_call=settings.basket_max_items_per_call,
            max_record_bytes=settings.basket_max_record_bytes,
            max_items_per_basket=settings.basket_max_items,
        ),
    )


async def startup(ctx: dict[str, Any]) -> None:
    """arq on_startup: connect to the database and Redis, start heartbeats and maintenance."""
    settings: Settings = ctx["settings"]
    catalogue = load_catalogue(settings.catalogue_path())
    http = build_http_client(settings)
    engine = create_engine(database_url(settings.database_url, settings.data_dir))
    await migrate(engine)
    store = SqlJobStore(engine=engine)
    bus = RedisEventBus(client=redis_client(settings), prefix=settings.redis_prefix)
    worker_id = new_worker_id("arq")
    executor = JobExecutor(
        store=store,
        bus=bus,
        context=job_context(
            settings,
            queries=build_queries(settings, catalogue, http),
            http=http,
            baskets=build_baskets(settings, catalogue, engine),
        ),
        types=JOB_TYPES,
        worker_id=worker_id,
    )
    queue = ArqJobQueue(
        pool=ctx["redis"],
        prefix=settings.redis_prefix,
        job_timeout=settings.job_max_execution_duration,
    )
    maintenance = JobMaintenance(
        store=store,
        bus=bus,
        results=executor.context.results,
        requeue=queue.enqueue,
        abort=queue.abort,
        worker_id=worker_id,
        worker_timeout=settings.job_worker_timeout,
        max_attempts=settings.job_max_attempts,
        interval=settings.job_maintenance_interval,
    )
    await maintenance.tick()  # heartbeat before the first job, and recover what others lost
    maintenance.start()
    ctx[STATE] = WorkerState(
        settings=settings,
        http=http,
        engine=engine,
        bus=bus,
        executor=executor,
        maintenance=maintenance,
    )
    logger.info("esap worker %s ready: job types %s", worker_id, ", ".join(sorted(JOB_TYPES)))


async def shutdown(ctx: dict[str, Any]) -> None:
    """arq on_shutdown."""
    state: WorkerState | None = ctx.get(STATE)
    if state is not None:
        await state.aclose()


async def run_job(ctx: dict[str, Any], job_id: str, attempt: int) -> None:
    """Run one attempt of one job (the only arq function)."""
    state: WorkerState = ctx[STATE]
    try:
        await state.executor.execute(job_id, attempt)
    finally:
        wake: asyncio.Event | None = ctx.get(WAKE)
        if wake is not None:
            wake.set()  # a slot is free: look at the queue now
