"""The one place that builds a process's objects from settings: the gateway's and a worker's.

Every object is built once, on first use, and whatever owns a resource (a connection pool, a
database engine, a background task) is closed by ``aclose`` in the reverse order of building.
Tests replace an I/O edge through the keyword-only seams of the constructor.
``Factory`` is assembled from its parts: ``FactoryBase`` (settings, seams, the exit stack),
``OutboundFactory`` (clients of archives and other services), ``StorageFactory`` (database,
stores, Redis) and, here, the services and the two kinds of process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Mapping
from datetime import timedelta

from esap_graphql.config import Settings
from esap_graphql.connectors.base import Connector
from esap_graphql.connectors.datalink import DataLinkClient
from esap_graphql.connectors.oai_pmh import OaiPmhClient
from esap_graphql.context import JobWorker, ProcessContext
from esap_graphql.domain.archives import Catalogue, Protocol
from esap_graphql.domain.basket import BasketLimits
from esap_graphql.domain.records import ResultSet
from esap_graphql.factory.base import USER_AGENT, FactoryBase
from esap_graphql.factory.outbound import OutboundFactory, protocol_connectors
from esap_graphql.factory.storage import StorageFactory
from esap_graphql.messaging.arq_queue import ArqJobQueue
from esap_graphql.messaging.job_queue import InProcessJobQueue, JobQueue
from esap_graphql.services.basket import BasketService
from esap_graphql.services.data_lake import DataLakeService
from esap_graphql.services.datalink import DataLinkService
from esap_graphql.services.dataset_query import DatasetQueryService, QueryLimits
from esap_graphql.services.harvest import HarvestService
from esap_graphql.services.job_execution import JobExecutor, JobMaintenance, Requeue
from esap_graphql.services.job_types import JOB_TYPES, JobContext
from esap_graphql.services.jobs import JobPolicy, JobService
from esap_graphql.services.multi_query import MultiQueryService
from esap_graphql.services.registry import RegistryService
from esap_graphql.services.result_cache import ResultCache
from esap_graphql.services.target_positions import TargetPositions
from esap_graphql.storage.basket_store import BasketStore

__all__ = [
    "USER_AGENT",
    "Factory",
    "FactoryBase",
    "gateway_context",
    "new_worker_id",
    "protocol_connectors",
]


def new_worker_id(kind: str) -> str:
    """A unique name for an executing process: kind, host, pid and a random suffix."""
    return f"{kind}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Factory(OutboundFactory, StorageFactory):
    """Builds every long-lived object of one process from its settings: the adapters
    (``OutboundFactory``, ``StorageFactory``), then the services and the process's context."""

    def queries(self, *, cached: bool = True) -> DatasetQueryService:
        """The dataset query service (a worker's has no result cache across jobs)."""
        settings = self.settings
        cache = ResultCache[ResultSet](
            ttl=settings.cache_ttl if cached else 0,
            size=settings.cache_size if cached else 0,
            shared=self.shared_results if cached else None,
        )
        return DatasetQueryService(
            catalogue=self.catalogue,
            connectors=self.connectors,
            limits=QueryLimits(
                timeout=settings.query_timeout,
                max_records=settings.max_records,
                max_page_size=settings.max_page_size,
                per_service_concurrency=settings.per_service_concurrency,
                global_concurrency=settings.global_concurrency,
            ),
            cache=cache,
            metrics=self.metrics,
            # a target name becomes a cone for datasets that search by position only
            targets=TargetPositions(
                names=self.names,
                connectors=self.connectors,
                default_radius=settings.target_radius,
            ),
        )

    def data_lake(self) -> DataLakeService:
        """Scopes of the Rucio datasets, over the Rucio connector."""
        return DataLakeService.over(
            self.connectors,
            catalogue=self.catalogue,
            timeout=self.settings.query_timeout,
            cache_ttl=self.settings.cache_ttl,
        )

    def multi_queries(self, queries: DatasetQueryService) -> MultiQueryService:
        """Multi-queries over the query service."""
        return MultiQueryService(
            catalogue=self.catalogue,
            queries=queries,
            max_datasets=self.settings.max_multi_query_datasets,
        )

    async def baskets(self) -> BasketService:
        """Users' baskets."""
        settings = self.settings
        return BasketService(
            store=await self.basket_store(),
            catalogue=self.catalogue,
            limits=BasketLimits(
                max_items_per_call=settings.basket_max_items_per_call,
                max_record_bytes=settings.basket_max_record_bytes,
                max_items_per_basket=settings.basket_max_items,
            ),
            metrics=self.metrics,
        )

    async def registry(self) -> RegistryService:
        """Registry search (RegTAP and the harvested records) and registry datasets."""
        return RegistryService(
            regtap=self.regtap,
            store=await self.registry_store(),
            check_url=self.url_check,
            max_results=self.settings.registry_max_results,
        )

    async def harvests(self) -> HarvestService:
        """Harvesting publishing registries into the registry store."""
        return HarvestService(
            client=OaiPmhClient(http=self.service_clients, timeout=self.settings.registry_timeout),
            store=await self.registry_store(),
            check_url=self.url_check,
        )

    def periodic_harvest(self, harvests: HarvestService) -> None:
        """Harvest the configured registries every ``registry_harvest_interval`` seconds (when
        both are set), until ``aclose``."""
        urls = self.settings.harvest_urls()
        interval = self.settings.registry_harvest_interval
        if not urls or interval <= 0:
            return
        task = asyncio.create_task(harvests.run_periodically(urls, interval))

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        self._exit.push_async_callback(stop)

    def datalinks(self) -> DataLinkService:
        """DataLink links of records."""
        return DataLinkService(
            client=DataLinkClient(http=self.service_clients),
            check_url=self.url_check,
            timeout=self.settings.datalink_timeout,
            batch_size=self.settings.datalink_batch_size,
        )

    async def job_context(self, queries: DatasetQueryService) -> JobContext:
        """What job code gets."""
        settings = self.settings
        return JobContext(
            queries=queries,
            multi_queries=self.multi_queries(queries),
            baskets=await self.baskets(),
            results=self.result_files,
            tap_jobs=self.tap_jobs,
            remote_timeout=settings.job_remote_timeout,
            remote_poll_interval=settings.job_remote_poll_interval,
            max_result_bytes=settings.job_max_result_bytes,
            analysis=self.analysis,
            batch=self.batch_backend,
        )

    async def job_executor(
        self, worker_id: str, queries: DatasetQueryService, *, requeue: Requeue | None = None
    ) -> JobExecutor:
        """Runs jobs by id under ``worker_id``; a job running at shutdown goes back to the
        queue through ``requeue``."""
        return JobExecutor(
            store=await self.job_store(),
            bus=self.event_bus(),
            context=await self.job_context(queries),
            types=JOB_TYPES,
            worker_id=worker_id,
            metrics=self.metrics,
            requeue=requeue,
        )

    async def job_maintenance(self, queue: JobQueue, *, worker_id: str | None) -> JobMaintenance:
        """Heartbeats, lost-worker recovery and destruction, started in the background and
        stopped by ``aclose``."""
        settings = self.settings
        maintenance = JobMaintenance(
            store=await self.job_store(),
            bus=self.event_bus(),
            results=self.result_files,
            requeue=queue.enqueue,
            abort=queue.abort,
            worker_id=worker_id,
            worker_timeout=settings.job_worker_timeout,
            max_attempts=settings.job_max_attempts,
            interval=settings.job_maintenance_interval,
            metrics=self.metrics,
            lost=queue.lost if isinstance(queue, ArqJobQueue) else None,
        )
        await maintenance.tick()  # heartbeat before the first job; recover what others lost
        maintenance.start()
        self._exit.push_async_callback(maintenance.aclose)
        return maintenance

    async def jobs(self, queries: DatasetQueryService) -> JobService:
        """The job service of a gateway: jobs go to arq workers when ``redis_url`` is set, to
        an in-process runner otherwise."""
        settings = self.settings
        queue: JobQueue
        worker_id: str | None = None
        if settings.redis_url:
            queue = await self.arq_queue()  # the gateway runs no jobs: it recovers and destroys
        else:
            worker_id = new_worker_id("inprocess")
            executor = await self.job_executor(worker_id, queries)
            queue = InProcessJobQueue(run=executor.execute, concurrency=settings.job_concurrency)
            self._exit.push_async_callback(queue.aclose)
        service = JobService(
            store=await self.job_store(),
            queue=queue,
            bus=self.event_bus(),
            results=self.result_files,
            types=JOB_TYPES,
            policy=JobPolicy(
                default_execution_duration=settings.job_execution_duration,
                max_execution_duration=settings.job_max_execution_duration,
                destruction_delay=timedelta(seconds=settings.job_destruction_delay),
                max_unfinished_jobs=settings.job_max_unfinished,
            ),
            metrics=self.metrics,
        )
        await self.job_maintenance(queue, worker_id=worker_id)
        if worker_id is not None:
            await service.recover_queued()
        return service

    # ---- processes ------------------------------------------------------------------------

    async def process_context(self) -> ProcessContext:
        """Everything a gateway process holds, started."""
        queries = self.queries()
        harvests = await self.harvests()
        self.periodic_harvest(harvests)
        return ProcessContext(
            settings=self.settings,
            catalogue=self.catalogue,
            auth=self.authenticator,
            queries=queries,
            multi_queries=self.multi_queries(queries),
            baskets=await self.baskets(),
            jobs=await self.jobs(queries),
            registry=await self.registry(),
            harvests=harvests,
            datalinks=self.datalinks(),
            names=self.names,
            data_lake=self.data_lake(),
            analysis=self.analysis,
            close=self.aclose,
            metrics=self.metrics,
            render_metrics=self.prometheus.render if self.prometheus else None,
            readiness=self.not_ready,
        )

    async def job_worker(self) -> JobWorker:
        """Everything an arq worker process holds, started."""
        worker_id = new_worker_id("arq")
        queue = await self.arq_queue()
        executor = await self.job_executor(
            worker_id, self.queries(cached=False), requeue=queue.enqueue
        )
        await self.job_maintenance(queue, worker_id=worker_id)
        return JobWorker(executor=executor, close=self.aclose)


async def gateway_context(
    settings: Settings,
    *,
    catalogue: Catalogue | None = None,
    connectors: Mapping[Protocol, Connector] | None = None,
    basket_store: BasketStore | None = None,
) -> ProcessContext:
    """The process context of a gateway built from ``settings`` (seams as for ``Factory``)."""
    factory = Factory(
        settings, catalogue=catalogue, connectors=connectors, basket_store=basket_store
    )
    try:
        return await factory.process_context()
    except BaseException:
        await factory.aclose()
        raise
