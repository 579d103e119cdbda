"""The one place that builds a process's objects from settings: the gateway's and a worker's.

Every object is built once, on first use, and whatever owns a resource (a connection pool, a
database engine, a background task) is closed by ``aclose`` in the reverse order of building.
Tests replace an I/O edge through the keyword-only seams of the constructor.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import ssl
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property

import httpx
import redis.asyncio as redis
from sqlalchemy.ext.asyncio import AsyncEngine

from esap_graphql.config import Settings, load_catalogue
from esap_graphql.config.analysis import load_analysis_catalogue
from esap_graphql.connectors.answer_budget import AnswerBudget
from esap_graphql.connectors.base import Connector
from esap_graphql.connectors.datalink import DataLinkClient
from esap_graphql.connectors.egress import EgressPolicy, guarded_transport, origin
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.connectors.http_json import HttpJsonConnector
from esap_graphql.connectors.jupyterhub import HttpJupyterHub, HubRefused, JupyterHubClient
from esap_graphql.connectors.oai_pmh import OaiPmhClient
from esap_graphql.connectors.regtap import RegTapClient
from esap_graphql.connectors.rucio import RucioConnector
from esap_graphql.connectors.scs import ScsConnector
from esap_graphql.connectors.sesame import SesameNameSource
from esap_graphql.connectors.sia import SiaConnector
from esap_graphql.connectors.slurm import SlurmRestClient, token_from_env
from esap_graphql.connectors.tap import TapConnector
from esap_graphql.connectors.tap_jobs import TapJobClient
from esap_graphql.connectors.untrusted_urls import check_url
from esap_graphql.connectors.workflow_sources import Limits as SourceLimits
from esap_graphql.connectors.workflow_sources import SourceFetcher
from esap_graphql.context import JobWorker, ProcessContext
from esap_graphql.domain.analysis import AnalysisCatalogue, Facility
from esap_graphql.domain.archives import Catalogue, Protocol
from esap_graphql.domain.basket import BasketLimits
from esap_graphql.domain.records import ResultSet
from esap_graphql.identity.authenticators import Authenticator, LocalAuthenticator
from esap_graphql.identity.oidc import OidcAuthenticator
from esap_graphql.identity.scoped_tokens import ScopedTokenAuthenticator, ScopedTokens, signing_key
from esap_graphql.messaging.arq_queue import ArqJobQueue, create_arq_pool
from esap_graphql.messaging.event_bus import EventBus, InMemoryEventBus, RedisEventBus
from esap_graphql.messaging.job_queue import InProcessJobQueue, JobQueue
from esap_graphql.services.analysis_runtime import AnalysisRuntime
from esap_graphql.services.basket import BasketService
from esap_graphql.services.batch_backend import BatchBackend
from esap_graphql.services.batch_slurm import SlurmBackend
from esap_graphql.services.data_lake import DataLakeService
from esap_graphql.services.datalink import DataLinkService
from esap_graphql.services.dataset_query import DatasetQueryService, QueryLimits
from esap_graphql.services.harvest import HarvestService
from esap_graphql.services.job_execution import JobExecutor, JobMaintenance, Requeue
from esap_graphql.services.job_types import JOB_TYPES, JobContext
from esap_graphql.services.jobs import JobPolicy, JobService
from esap_graphql.services.multi_query import MultiQueryService
from esap_graphql.services.name_resolution import NameResolutionService, NameSource
from esap_graphql.services.registry import RegistrySearcher, RegistryService, UrlCheck
from esap_graphql.services.result_cache import ResultCache
from esap_graphql.services.target_positions import TargetPositions
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
from esap_graphql.telemetry.archive_calls import observing
from esap_graphql.telemetry.metrics import NO_METRICS, Metrics
from esap_graphql.telemetry.prometheus import PrometheusMetrics

USER_AGENT = "esap-graphql/0.1 (+https://github.com/esap-graphql)"
#: Seconds each readiness check (database, Redis, workers) may take.
READY_TIMEOUT = 3.0


def new_worker_id(kind: str) -> str:
    """A unique name for an executing process: kind, host, pid and a random suffix."""
    return f"{kind}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def protocol_connectors(clients: ServiceClients) -> dict[Protocol, Connector]:
    """One connector per protocol, over these HTTP clients."""
    return {
        Protocol.TAP: TapConnector(http=clients),
        Protocol.SCS: ScsConnector(http=clients),
        Protocol.SIA: SiaConnector(http=clients),
        Protocol.HTTP: HttpJsonConnector(http=clients),
        Protocol.RUCIO: RucioConnector(),
    }


class Factory:
    """Builds every long-lived object of one process from its settings."""

    def __init__(
        self,
        settings: Settings,
        *,
        catalogue: Catalogue | None = None,
        connectors: Mapping[Protocol, Connector] | None = None,
        basket_store: BasketStore | None = None,
        job_store: JobStore | None = None,
        registry_store: RegistryStore | None = None,
        regtap: RegistrySearcher | None = None,
        name_source: NameSource | None = None,
        analysis_catalogue: AnalysisCatalogue | None = None,
    ) -> None:
        self.settings = settings
        self._name_source = name_source
        self._catalogue = catalogue
        self._analysis_catalogue = analysis_catalogue
        self._connectors = connectors
        self._basket_store = basket_store
        self._job_store = job_store
        self._registry_store = registry_store
        self._regtap = regtap
        self._engine: AsyncEngine | None = None
        self._bus: EventBus | None = None
        self._batch_backends: dict[str, BatchBackend] = {}
        self._exit = contextlib.AsyncExitStack()
        if tracing.wanted() and not tracing.enabled():
            tracing.start_tracing("esap-graphql")

    async def aclose(self) -> None:
        """Stop and close everything built, newest first."""
        await self._exit.aclose()

    # ---- adapters -------------------------------------------------------------------------

    @cached_property
    def prometheus(self) -> PrometheusMetrics | None:
        """This process's Prometheus metrics (none when metrics are off)."""
        return PrometheusMetrics() if self.settings.metrics else None

    @cached_property
    def metrics(self) -> Metrics:
        """Where every layer reports what it does."""
        return self.prometheus or NO_METRICS

    @cached_property
    def catalogue(self) -> Catalogue:
        """The archive catalogue (read and validated once)."""
        return self._catalogue or load_catalogue(self.settings.catalogue_path())

    @cached_property
    def service_clients(self) -> ServiceClients:
        """One small connection pool per archive service, shared by every connector, behind
        the egress policy and the process's budget for answers in flight."""
        settings = self.settings
        clients = ServiceClients(
            timeout=httpx.Timeout(settings.query_timeout, connect=settings.connect_timeout),
            per_service=settings.per_service_concurrency,
            headers={"User-Agent": USER_AGENT},
            ssl_context=self.ssl_context,
            policy=self.egress,
            budget=AnswerBudget(
                settings.answer_budget_bytes,
                observe=self.metrics.answer_bytes if self.prometheus else None,
            ),
            max_answer_bytes=settings.max_answer_bytes,
            observe=observing(self.metrics) if self.prometheus or tracing.enabled() else None,
        )
        self._exit.push_async_callback(clients.aclose)
        return clients

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """One TLS context for every outbound client (building one loads the CA bundle)."""
        return httpx.create_ssl_context()

    @cached_property
    def egress(self) -> EgressPolicy:
        """Where outbound requests may go: each dataset's service, and the hosts the catalogue
        lets it send us to."""
        follow: dict[str, set[str]] = {}
        for dataset in self.catalogue.datasets:
            follow.setdefault(origin(dataset.access_url)[1], set()).update(dataset.follow_hosts)
        return EgressPolicy(follow=follow)

    @cached_property
    def http(self) -> httpx.AsyncClient:
        """The client for calls that are not archive queries (the identity provider), behind
        the egress policy; it follows no redirects."""
        settings = self.settings
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=4)
        client = httpx.AsyncClient(
            transport=guarded_transport(self.egress, ssl_context=self.ssl_context, limits=limits),
            timeout=httpx.Timeout(settings.query_timeout, connect=settings.connect_timeout),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        self._exit.push_async_callback(client.aclose)
        return client

    @cached_property
    def connectors(self) -> Mapping[Protocol, Connector]:
        """One connector per protocol."""
        if self._connectors:
            return self._connectors
        built = protocol_connectors(self.service_clients)
        rucio = built[Protocol.RUCIO]
        assert isinstance(rucio, RucioConnector)
        self._exit.push_async_callback(rucio.aclose)  # its threads and tokens
        return built

    @cached_property
    def tap_jobs(self) -> TapJobClient:
        """Asynchronous jobs on archives' TAP services."""
        return TapJobClient(clients=self.service_clients, timeout=self.settings.job_remote_timeout)

    @cached_property
    def names(self) -> NameResolutionService:
        """Target names resolved through the Sesame mirrors (or the given source), cached."""
        settings = self.settings
        source = self._name_source or SesameNameSource(
            http=self.http,
            mirrors=settings.sesame_mirrors(),
            databases=settings.sesame_databases,
            timeout=settings.sesame_timeout,
        )
        return NameResolutionService(
            source=source,
            ttl=settings.name_cache_ttl,
            not_found_ttl=settings.name_not_found_ttl,
            size=settings.name_cache_size,
        )

    @cached_property
    def authenticator(self) -> Authenticator:
        """OIDC bearer tokens when an issuer is configured, otherwise the single local user;
        and in either mode the scoped tokens this gateway signed for analysis services."""
        settings = self.settings
        sign_in: Authenticator
        if not settings.oidc_issuer:
            sign_in = LocalAuthenticator()
        else:
            sign_in = OidcAuthenticator(
                issuer=settings.oidc_issuer,
                audience=settings.oidc_audience,
                jwks_url=settings.oidc_jwks_url,
                http=self.http,
                timeout=settings.oidc_timeout,
                cache_ttl=settings.oidc_jwks_cache_ttl,
            )
        return ScopedTokenAuthenticator(sign_in, self.scoped_tokens)

    @cached_property
    def scoped_tokens(self) -> ScopedTokens:
        """Issues and checks the tokens handed to analysis services."""
        settings = self.settings
        configured = settings.scoped_token_key
        key = signing_key(
            configured.get_secret_value() if configured is not None else None, settings.data_dir
        )
        return ScopedTokens(key=key, lifetime=settings.scoped_token_lifetime)

    @cached_property
    def analysis(self) -> AnalysisRuntime:
        """Analysis facilities and workflows, and what launches use."""
        catalogue = self._analysis_catalogue or load_analysis_catalogue(
            self.settings.catalogue_path()
        )
        return AnalysisRuntime(
            catalogue=catalogue,
            tokens=self.scoped_tokens,
            jupyterhub=self.jupyterhub,
            fetcher=SourceFetcher(
                http=self.http, limits=SourceLimits(timeout=self.settings.job_remote_timeout)
            ),
        )

    def jupyterhub(self, facility: Facility) -> JupyterHubClient:
        """The client of a jupyterhub facility, with the service token from the environment."""
        settings = facility.jupyterhub
        assert settings is not None  # the catalogue requires them for a jupyterhub facility
        token = os.environ.get(settings.api_token_env)
        if not token:
            raise HubRefused(
                f"facility {facility.id!r}: the environment variable {settings.api_token_env} "
                "(its service API token) is not set"
            )
        return HttpJupyterHub(
            base_url=facility.url,
            token=token,
            http=self.http,
            timeout=self.settings.job_remote_timeout,
        )

    def batch_backend(self, facility: Facility) -> BatchBackend:
        """The back-end of a batch facility, built once per facility: for Slurm, slurmrestd
        over this process's HTTP client, with the JWT of the facility's ``jwt_env``."""
        backend = self._batch_backends.get(facility.id)
        if backend is None:
            if facility.slurm is None:
                raise ValueError(f"facility {facility.id!r} has no batch back-end")
            client = SlurmRestClient(
                http=self.http,
                base_url=facility.slurm.rest_url,
                user=facility.slurm.user,
                token=token_from_env(facility.slurm.jwt_env),
                timeout=self.settings.job_remote_timeout,
                version=facility.slurm.api_version,
            )
            backend = SlurmBackend(api=client, where=f"Slurm at {client.base_url}")
            self._batch_backends[facility.id] = backend
        return backend

    async def engine(self) -> AsyncEngine:
        """The database engine, with the schema migrated to the newest revision."""
        if self._engine is None:
            settings = self.settings
            engine = create_engine(database_url(settings.database_url, settings.data_dir))
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

    @cached_property
    def regtap(self) -> RegistrySearcher | None:
        """The RegTAP service searched (none when ``regtap_url`` is empty)."""
        if self._regtap is not None or not self.settings.regtap_url:
            return self._regtap
        client = RegTapClient(
            url=self.settings.regtap_url,
            timeout=self.settings.registry_timeout,
            user_agent=USER_AGENT,
        )
        self._exit.push_async_callback(asyncio.to_thread, client.close)
        return client

    @cached_property
    def url_check(self) -> UrlCheck:
        """The check every URL from a registry record or a DataLink answer passes first."""
        return functools.partial(check_url, allow_private=self.settings.registry_allow_private_urls)

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

    # ---- services -------------------------------------------------------------------------

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
            requeue=requeue,
            store=await self.job_store(),
            bus=self.event_bus(),
            context=await self.job_context(queries),
            types=JOB_TYPES,
            worker_id=worker_id,
            metrics=self.metrics,
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

    # ---- readiness ------------------------------------------------------------------------

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
