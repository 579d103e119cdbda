"""Shared pieces of the batch tests: a catalogue with Slurm facilities, a basket with two
items, and the job runtime (store, bus, in-process runner) around a chosen Slurm API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from esap_graphql.config import parse_catalogue
from esap_graphql.config.analysis import parse_analysis_catalogue
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.connectors.jupyterhub import InMemoryJupyterHub
from esap_graphql.connectors.slurm import SlurmApi, SlurmRestClient, token_from_env
from esap_graphql.connectors.tap_jobs import TapJobClient
from esap_graphql.connectors.workflow_sources import InMemoryFetcher
from esap_graphql.domain.analysis import AnalysisCatalogue, Facility
from esap_graphql.domain.archives import Catalogue, Protocol
from esap_graphql.domain.basket import BasketLimits, NewBasketItem
from esap_graphql.domain.jobs import Job, PhaseEvent
from esap_graphql.domain.records import ResultSet
from esap_graphql.domain.users import LOCAL_USER
from esap_graphql.domain.uws import ExecutionPhase
from esap_graphql.identity.scoped_tokens import ScopedTokens
from esap_graphql.messaging.event_bus import InMemoryEventBus
from esap_graphql.messaging.job_queue import InProcessJobQueue
from esap_graphql.services.analysis_runtime import AnalysisRuntime
from esap_graphql.services.basket import BasketService
from esap_graphql.services.batch_backend import BatchBackend
from esap_graphql.services.batch_slurm import SlurmBackend
from esap_graphql.services.dataset_query import DatasetQueryService, QueryLimits
from esap_graphql.services.job_execution import JobExecutor, JobMaintenance
from esap_graphql.services.job_types import JOB_TYPES, JobContext
from esap_graphql.services.jobs import JobPolicy, JobService
from esap_graphql.services.multi_query import MultiQueryService
from esap_graphql.services.result_cache import ResultCache
from esap_graphql.storage.memory_basket_store import InMemoryBasketStore
from esap_graphql.storage.memory_job_store import InMemoryJobStore
from esap_graphql.storage.result_files import ResultFiles
from tests.support import InMemoryConnector

ARCHIVES_YAML = """
archives:
  - id: astron
    name: ASTRON
    datasets:
      - {id: apertif-dr1, name: Apertif, protocol: tap, access_url: "http://a.test/tap",
         table: ivoa.obscore}
"""
ARCHIVES: Catalogue = parse_catalogue(ARCHIVES_YAML, source="batch-test-archives")

ITEMS = (
    NewBasketItem(
        dataset_id="apertif-dr1",
        record_id="ivo://astron.nl/apertif?230101001",
        title="Apertif cube one",
        access_url="https://vo.astron.nl/data/1.fits",
        ra=202.48,
        dec=47.23,
    ),
    NewBasketItem(
        dataset_id="apertif-dr1",
        record_id="ivo://astron.nl/apertif?230101002",
        title="Apertif cube two",
        ra=10.5,
        dec=-3.25,
    ),
)


def analysis_yaml(
    staging_dir: Path,
    *,
    rest_url: str = "http://127.0.0.1:6820",
    api_version: str = "v0.0.38",
    jwt_env: str = "ESAP_TEST_SLURM_JWT",
    user: str = "esapjob",
    partition: str | None = "esap",
) -> AnalysisCatalogue:
    """Catalogue YAML: two facilities (a Slurm cluster and a JupyterHub), batch workflows."""
    partition_line = f"      partition: {partition}\n" if partition else ""
    return f"""
facilities:
  - id: test-slurm
    name: The test cluster
    kind: slurm
    url: http://127.0.0.1:6820
    slurm:
      rest_url: {rest_url}
      api_version: {api_version}
      jwt_env: {jwt_env}
      user: {user}
{partition_line}      staging_dir: {staging_dir}
  - id: test-hub
    name: A hub
    kind: jupyterhub
    url: http://hub.test
    jupyterhub:
      api_token_env: ESAP_TEST_HUB_TOKEN
workflows:
  - id: count-rows
    name: Count the basket's rows
    facility_kinds: [slurm]
    source:
      type: command
      script: |
        #!/usr/bin/env python3
        import os, sys
        from xml.etree import ElementTree
        rows = ElementTree.parse(os.environ["ESAP_BASKET"]).getroot().iter()
        count = sum(1 for e in rows if e.tag.endswith("TR"))
        with open(os.path.join(os.environ["ESAP_OUTPUT_DIR"], "count.txt"), "w") as out:
            print(sys.argv[1], count, file=out)
        print("counted", count)
      command: ["rows:"]
  - id: container-echo
    name: A container command
    facility_kinds: [slurm]
    source:
      type: command
      container: docker://alpine:3
      command: [echo, hello]
"""


def analysis_catalogue(staging_dir: Path, **facility: Any) -> AnalysisCatalogue:
    """The facilities and workflows of ``analysis_yaml``."""
    return parse_analysis_catalogue(
        analysis_yaml(staging_dir, **facility), source="batch-test-analysis"
    )


def memory_backends(api: SlurmApi) -> Callable[[Facility], BatchBackend]:
    """Every batch facility is this in-memory Slurm."""
    return lambda facility: SlurmBackend(api=api, where="Slurm (in memory)")


def rest_backends(http: httpx.AsyncClient) -> Callable[[Facility], BatchBackend]:
    """Every Slurm facility through its slurmrestd, as the factory builds it."""

    def build(facility: Facility) -> BatchBackend:
        assert facility.slurm is not None
        client = SlurmRestClient(
            http=http,
            base_url=facility.slurm.rest_url,
            user=facility.slurm.user,
            token=token_from_env(facility.slurm.jwt_env),
            timeout=10,
            version=facility.slurm.api_version,
        )
        return SlurmBackend(api=client, where=f"Slurm at {client.base_url}")

    return build


@dataclass
class Runtime:
    """The job machinery of one test."""

    service: JobService
    store: InMemoryJobStore
    bus: InMemoryEventBus
    queue: InProcessJobQueue
    maintenance: JobMaintenance
    results: ResultFiles
    baskets: BasketService
    staging: Path


@asynccontextmanager
async def job_runtime(
    tmp_path: Path,
    staging: Path,
    *,
    batch: Callable[[Facility], BatchBackend] | None,
    catalogue: AnalysisCatalogue,
    poll_interval: float = 0.05,
) -> AsyncIterator[Runtime]:
    """The in-process job runtime with a basket holding ``ITEMS``; ``batch`` None means the
    real slurmrestd of each facility."""
    store = InMemoryJobStore()
    bus = InMemoryEventBus()
    results = ResultFiles(root=tmp_path / "results")
    baskets = BasketService(store=InMemoryBasketStore(), catalogue=ARCHIVES, limits=BasketLimits())
    await baskets.add(LOCAL_USER, ITEMS)
    queries = DatasetQueryService(
        catalogue=ARCHIVES,
        connectors={Protocol.TAP: InMemoryConnector(records={})},
        limits=QueryLimits(
            timeout=5,
            max_records=10,
            max_page_size=10,
            per_service_concurrency=1,
            global_concurrency=1,
        ),
        cache=ResultCache[ResultSet](ttl=0, size=0),
    )
    all_types = JOB_TYPES
    async with httpx.AsyncClient() as http:
        context = JobContext(
            queries=queries,
            multi_queries=MultiQueryService(catalogue=ARCHIVES, queries=queries, max_datasets=2),
            baskets=baskets,
            results=results,
            tap_jobs=TapJobClient(clients=ServiceClients.sharing(http), timeout=5),
            remote_timeout=10,
            remote_poll_interval=poll_interval,
            max_result_bytes=1_000_000,
            analysis=AnalysisRuntime(
                catalogue=catalogue,
                tokens=ScopedTokens(key=b"k" * 32, lifetime=3600),
                jupyterhub=lambda facility: InMemoryJupyterHub(base_url=facility.url),
                fetcher=InMemoryFetcher(workflows={}),
            ),
            batch=batch or rest_backends(http),
        )
        executor = JobExecutor(
            store=store, bus=bus, context=context, types=all_types, worker_id="w-batch"
        )
        queue = InProcessJobQueue(run=executor.execute, concurrency=8)
        service = JobService(
            store=store,
            queue=queue,
            bus=bus,
            results=results,
            types=all_types,
            policy=JobPolicy(
                default_execution_duration=600,
                max_execution_duration=3600,
                destruction_delay=timedelta(days=1),
                max_unfinished_jobs=20,
            ),
        )
        maintenance = JobMaintenance(
            store=store,
            bus=bus,
            results=results,
            requeue=queue.enqueue,
            abort=queue.abort,
            worker_id=None,
            worker_timeout=5,
            max_attempts=3,
            interval=60,
        )
        try:
            yield Runtime(service, store, bus, queue, maintenance, results, baskets, staging)
        finally:
            await queue.aclose()


async def until(
    store: InMemoryJobStore, job_id: str, *phases: ExecutionPhase, timeout: float = 30
) -> Job:
    """The job once it is in one of ``phases`` (bounded wait)."""
    async with asyncio.timeout(timeout):
        while True:
            job = await store.get(job_id)
            assert job is not None
            if job.phase in phases:
                return job
            await asyncio.sleep(0.01)


async def eventually(check: Callable[[], bool], timeout: float = 30) -> None:
    """Return once ``check()`` holds (bounded wait)."""
    async with asyncio.timeout(timeout):
        while True:
            if check():
                return
            await asyncio.sleep(0.01)


class PhaseLog:
    """Every phase event of one owner's jobs, collected in the background."""

    def __init__(self, bus: InMemoryEventBus) -> None:
        self._bus = bus
        self.events: list[PhaseEvent] = []
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def __aenter__(self) -> PhaseLog:
        self._task = asyncio.create_task(self._collect())
        await self._ready.wait()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _collect(self) -> None:
        async with self._bus.subscribe(LOCAL_USER.id) as events:
            self._ready.set()
            async for event in events:
                self.events.append(event)

    async def until_ended(self, job_id: str) -> None:
        """Wait until the job's final phase has been announced (the store records it just
        before the bus carries it)."""
        final = {"COMPLETED", "ERROR", "ABORTED"}
        await eventually(
            lambda: bool(self.phases(job_id)[-1:]) and self.phases(job_id)[-1] in final
        )

    def phases(self, job_id: str) -> list[str]:
        """The phases announced for one job, in order."""
        return [e.phase.value for e in self.events if e.job_id == job_id and not e.deleted]
