"""Where state lives: the database and its stores, job result files, Redis (event bus, the
arq queue, shared query results)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import cached_property

import redis.asyncio as redis
from sqlalchemy.ext.asyncio import AsyncEngine

from esap_graphql.factory.base import FactoryBase
from esap_graphql.messaging.arq_queue import ArqJobQueue, create_arq_pool
from esap_graphql.messaging.event_bus import EventBus, InMemoryEventBus, RedisEventBus
from esap_graphql.storage.basket_store import BasketStore
from esap_graphql.storage.database import create_engine, database_url, migrate
from esap_graphql.storage.job_store import JobStore
from esap_graphql.storage.registry_store import RegistryStore
from esap_graphql.storage.result_files import ResultFiles
from esap_graphql.storage.shared_results import RedisResults
from esap_graphql.storage.sql_basket_store import SqlBasketStore
from esap_graphql.storage.sql_job_store import SqlJobStore
from esap_graphql.storage.sql_registry_store import SqlRegistryStore
from esap_graphql.telemetry import tracing

#: Seconds each readiness check (database, Redis, workers) may take.
READY_TIMEOUT = 3.0


class StorageFactory(FactoryBase):
    """Builds the stores, the event bus and the queue, each once."""

    async def engine(self) -> AsyncEngine:
        """The database engine, with the schema migrated to the newest revision."""
        if self._engine is None:
            settings = self.settings
            engine = create_engine(
                database_url(settings.database_url, settings.data_dir),
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_max_overflow,
            )
            self._exit.push_async_callback(engine.dispose)
            if tracing.enabled():
                tracing.instrument_database(engine.sync_engine)
            await migrate(engine)
            self._engine = engine
        return self._engine

    @cached_property
    def result_files(self) -> ResultFiles:
        """Job result files (a directory shared by gateways and workers)."""
        return ResultFiles(root=self.settings.results_dir())

    async def basket_store(self) -> BasketStore:
        """Where baskets live."""
        return self._basket_store or SqlBasketStore(engine=await self.engine())

    async def job_store(self) -> JobStore:
        """Where jobs live."""
        if self._job_store is None:
            self._job_store = SqlJobStore(engine=await self.engine())
        return self._job_store

    async def registry_store(self) -> RegistryStore:
        """Where harvested registry records live."""
        if self._registry_store is None:
            self._registry_store = SqlRegistryStore(engine=await self.engine())
        return self._registry_store

    def _redis(self) -> redis.Redis:
        assert self.settings.redis_url is not None
        client: redis.Redis = redis.Redis.from_url(
            self.settings.redis_url,
            socket_connect_timeout=5,
            socket_timeout=None,
            health_check_interval=30,
        )
        self._exit.push_async_callback(client.aclose)
        return client

    @cached_property
    def shared_results(self) -> RedisResults | None:
        """Query results shared by every gateway process (with a Redis URL)."""
        if not self.settings.redis_url or self.settings.cache_ttl <= 0:
            return None
        return RedisResults(
            client=self._redis(), prefix=self.settings.redis_prefix, ttl=self.settings.cache_ttl
        )

    def event_bus(self) -> EventBus:
        """Phase events: on Redis pub/sub with a Redis URL, in memory otherwise."""
        if self._bus is None:
            if self.settings.redis_url:
                self._bus = RedisEventBus(client=self._redis(), prefix=self.settings.redis_prefix)
            else:
                self._bus = InMemoryEventBus()
            self._exit.push_async_callback(self._bus.aclose)
        return self._bus

    async def not_ready(self) -> dict[str, str]:
        """What keeps this gateway from serving (name: why); empty when it is ready."""
        checks = {"database": self._database_answers(), "catalogue": self._catalogue_loaded()}
        if self.settings.redis_url:
            checks["redis"] = self._redis_answers()
            checks["workers"] = self._workers_alive()
        problems: dict[str, str] = {}
        for name, check in checks.items():
            try:
                async with asyncio.timeout(READY_TIMEOUT):
                    problem = await check
            except TimeoutError:
                problem = f"no answer within {READY_TIMEOUT:g} s"
            except Exception as exc:
                problem = f"{type(exc).__name__}: {str(exc)[:200]}"
            if problem:
                problems[name] = problem
        return problems

    async def _database_answers(self) -> str | None:
        async with (await self.engine()).connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
        return None

    async def _catalogue_loaded(self) -> str | None:
        return None if self.catalogue.archives else "the catalogue has no archives"

    @cached_property
    def _probe_redis(self) -> redis.Redis:
        return self._redis()

    async def _redis_answers(self) -> str | None:
        await self._probe_redis.ping()
        return None

    async def _workers_alive(self) -> str | None:
        timeout = self.settings.job_worker_timeout
        since = datetime.now(UTC) - timedelta(seconds=timeout)
        if await (await self.job_store()).live_workers(since):
            return None
        return f"no job worker sent a heartbeat in the last {timeout:g} s"

    async def arq_queue(self) -> ArqJobQueue:
        """The arq job queue on Redis (needs ``redis_url``)."""
        settings = self.settings
        assert settings.redis_url is not None
        queue = ArqJobQueue(
            pool=await create_arq_pool(settings.redis_url),
            prefix=settings.redis_prefix,
            job_timeout=settings.job_max_execution_duration,
        )
        self._exit.push_async_callback(queue.aclose)
        return queue
