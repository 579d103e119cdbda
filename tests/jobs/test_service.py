"""The job lifecycle over the in-memory store, bus and in-process runner (one seam swapped)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from esap_graphql.config import parse_catalogue
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.connectors.tap_jobs import TapJobClient
from esap_graphql.domain.archives import Protocol
from esap_graphql.domain.basket import BasketLimits
from esap_graphql.domain.jobs import (
    ErrorType,
    InvalidJobParameters,
    Job,
    JobFilter,
    TooManyJobs,
    UnknownJob,
    UnknownJobType,
    utc_now,
)
from esap_graphql.domain.records import ResultSet
from esap_graphql.domain.users import LOCAL_USER, User
from esap_graphql.domain.uws import RUN, TAKE, ExecutionPhase, IllegalPhaseTransition, Move
from esap_graphql.messaging.event_bus import InMemoryEventBus
from esap_graphql.messaging.job_queue import InProcessJobQueue
from esap_graphql.services.basket import BasketService
from esap_graphql.services.dataset_query import DatasetQueryService, QueryLimits
from esap_graphql.services.job_execution import JobExecutor, JobMaintenance
from esap_graphql.services.job_types import JOB_TYPES, JobContext
from esap_graphql.services.jobs import JobPolicy, JobService
from esap_graphql.services.multi_query import MultiQueryService
from esap_graphql.services.result_cache import ResultCache
from esap_graphql.storage.memory_basket_store import InMemoryBasketStore
from esap_graphql.storage.memory_job_store import InMemoryJobStore
from esap_graphql.storage.result_files import ResultFiles
from tests.support import InMemoryConnector, make_records

P = ExecutionPhase
OTHER = User(id="someone-else")
CATALOGUE = parse_catalogue(
    """
archives:
  - id: mem
    name: In memory
    datasets:
      - {id: mem-a, name: A, protocol: tap, access_url: "http://a.test/tap", table: ivoa.obscore}
      - {id: mem-b, name: B, protocol: tap, access_url: "http://b.test/tap", table: ivoa.obscore}
""",
    source="jobs-test",
)


@dataclass
class Runtime:
    service: JobService
    store: InMemoryJobStore
    bus: InMemoryEventBus
    queue: InProcessJobQueue
    maintenance: JobMaintenance
    executor: JobExecutor
    results: ResultFiles
    connector: InMemoryConnector


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    store = InMemoryJobStore()
    bus = InMemoryEventBus()
    results = ResultFiles(root=tmp_path / "results")
    connector = InMemoryConnector(records={"mem-a": make_records(3, prefix="a")})
    queries = DatasetQueryService(
        catalogue=CATALOGUE,
        connectors={Protocol.TAP: connector},
        limits=QueryLimits(
            timeout=5,
            max_records=100,
            max_page_size=100,
            per_service_concurrency=2,
            global_concurrency=4,
        ),
        cache=ResultCache[ResultSet](ttl=0, size=0),
    )
    async with httpx.AsyncClient() as http:
        context = JobContext(
            queries=queries,
            multi_queries=MultiQueryService(catalogue=CATALOGUE, queries=queries, max_datasets=10),
            baskets=BasketService(
                store=InMemoryBasketStore(),
                catalogue=CATALOGUE,
                limits=BasketLimits(
                    max_items_per_call=10, max_record_bytes=1000, max_items_per_basket=10
                ),
            ),
            results=results,
            tap_jobs=TapJobClient(clients=ServiceClients.sharing(http), timeout=5),
            remote_timeout=5,
            remote_poll_interval=0.1,
            max_result_bytes=1_000_000,
        )
        executor = JobExecutor(
            store=store, bus=bus, context=context, types=JOB_TYPES, worker_id="w-test"
        )
        queue = InProcessJobQueue(run=executor.execute, concurrency=4)
        service = JobService(
            store=store,
            queue=queue,
            bus=bus,
            results=results,
            types=JOB_TYPES,
            policy=JobPolicy(
                default_execution_duration=60,
                max_execution_duration=120,
                destruction_delay=timedelta(days=1),
                max_unfinished_jobs=3,
            ),
        )
        maintenance = JobMaintenance(
            store=store,
            bus=bus,
            results=results,
            requeue=queue.enqueue,
            abort=queue.abort,
            worker_id="w-test",
            worker_timeout=5,
            max_attempts=2,
            interval=60,
        )
        yield Runtime(service, store, bus, queue, maintenance, executor, results, connector)
        await queue.aclose()


async def until(rt: Runtime, job_id: str, *phases: ExecutionPhase) -> Job:
    """Wait (bounded) until the job is in one of ``phases``."""
    async with asyncio.timeout(10):
        while True:
            job = await rt.store.get(job_id)
            assert job is not None
            if job.phase in phases:
                return job
            await asyncio.sleep(0.01)


async def test_a_job_runs_to_completion_with_a_result_file(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {"message": "hi"}, run=True)
    assert job.phase is P.QUEUED
    done = await until(rt, job.id, P.COMPLETED, P.ERROR)
    assert done.phase is P.COMPLETED
    assert done.start_time is not None
    assert done.end_time is not None
    assert done.attempts == 1
    assert [r.name for r in done.results] == ["echo.json"]
    content = json.loads(rt.results.path(job.id, "echo.json").read_text())
    assert content["parameters"] == {"seconds": 0.0, "message": "hi"}
    assert done.results[0].size == rt.results.path(job.id, "echo.json").stat().st_size


async def test_pending_job_waits_for_start(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {}, run_id="mine")
    assert (job.phase, job.run_id) == (P.PENDING, "mine")
    await asyncio.sleep(0.05)
    assert (await rt.service.get(LOCAL_USER, job.id)).phase is P.PENDING
    await rt.service.start(LOCAL_USER, job.id)
    assert (await until(rt, job.id, P.COMPLETED)).phase is P.COMPLETED
    with pytest.raises(IllegalPhaseTransition):
        await rt.service.start(LOCAL_USER, job.id)


async def test_abort_stops_a_running_job(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {"seconds": 30}, run=True)
    await until(rt, job.id, P.EXECUTING)
    aborted = await rt.service.abort(LOCAL_USER, job.id)
    assert aborted.phase is P.ABORTED
    await asyncio.sleep(0.05)
    assert rt.queue._tasks == {}, "the running task was not cancelled"
    final = await rt.service.get(LOCAL_USER, job.id)
    assert final.phase is P.ABORTED
    assert final.results == ()


async def test_execution_duration_is_enforced(rt: Runtime) -> None:
    job = await rt.service.create(
        LOCAL_USER, "test.sleep", {"seconds": 30}, run=True, execution_duration=1
    )
    final = await until(rt, job.id, P.ABORTED, P.COMPLETED, P.ERROR)
    assert final.phase is P.ABORTED
    assert final.error is not None
    assert final.error.code == "execution_duration_exceeded"
    assert "1 s" in final.error.message


async def test_requested_duration_is_capped_by_the_policy(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {}, execution_duration=10_000)
    assert job.execution_duration == 120
    changed = await rt.service.set_execution_duration(LOCAL_USER, job.id, 30)
    assert changed.execution_duration == 30


@pytest.mark.parametrize(
    ("kind", "error_type"),
    [("usage", ErrorType.FATAL), ("transient", ErrorType.TRANSIENT), ("fatal", ErrorType.FATAL)],
)
async def test_failures_end_in_error_with_their_type(
    rt: Runtime, kind: str, error_type: ErrorType
) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {"fail": kind}, run=True)
    final = await until(rt, job.id, P.ERROR, P.COMPLETED)
    assert final.phase is P.ERROR
    assert final.error is not None
    assert final.error.type is error_type
    assert kind in final.error.message


async def test_unknown_type_and_bad_parameters_are_refused(rt: Runtime) -> None:
    with pytest.raises(UnknownJobType) as unknown:
        await rt.service.create(LOCAL_USER, "no.such", {})
    assert "query.tap" in unknown.value.known
    with pytest.raises(InvalidJobParameters) as invalid:
        await rt.service.create(LOCAL_USER, "test.sleep", {"seconds": -1, "bogus": 1})
    assert any(p.startswith("seconds") for p in invalid.value.problems)
    assert any(p.startswith("bogus") for p in invalid.value.problems)
    with pytest.raises(InvalidJobParameters):
        await rt.service.create(LOCAL_USER, "query.tap", {"dataset": "x"})


async def test_jobs_belong_to_their_owner(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {})
    with pytest.raises(UnknownJob):
        await rt.service.get(OTHER, job.id)
    with pytest.raises(UnknownJob):
        await rt.service.abort(OTHER, job.id)
    assert await rt.service.list(OTHER) == []
    assert [j.id for j in await rt.service.list(LOCAL_USER)] == [job.id]


async def test_too_many_unfinished_jobs(rt: Runtime) -> None:
    for _ in range(3):
        await rt.service.create(LOCAL_USER, "test.sleep", {})
    with pytest.raises(TooManyJobs):
        await rt.service.create(LOCAL_USER, "test.sleep", {})
    assert len(await rt.service.list(OTHER)) == 0
    await rt.service.create(OTHER, "test.sleep", {})


async def test_list_filters_by_phase_and_last(rt: Runtime) -> None:
    pending = await rt.service.create(LOCAL_USER, "test.sleep", {})
    await asyncio.sleep(0.002)
    ran = await rt.service.create(LOCAL_USER, "test.sleep", {}, run=True)
    await until(rt, ran.id, P.COMPLETED)
    listed = await rt.service.list(LOCAL_USER, JobFilter(phases=frozenset({P.PENDING})))
    assert [j.id for j in listed] == [pending.id]
    newest = await rt.service.list(LOCAL_USER, JobFilter(last=1))
    assert [j.id for j in newest] == [ran.id]


async def test_delete_removes_job_and_results(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {}, run=True)
    await until(rt, job.id, P.COMPLETED)
    assert rt.results.directory(job.id).exists()
    await rt.service.delete(LOCAL_USER, job.id)
    assert not rt.results.directory(job.id).exists()
    with pytest.raises(UnknownJob):
        await rt.service.get(LOCAL_USER, job.id)


async def test_destruction_time_deletes_the_job(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {}, run=True)
    await until(rt, job.id, P.COMPLETED)
    await rt.service.set_destruction(LOCAL_USER, job.id, utc_now() - timedelta(seconds=1))
    await rt.maintenance.tick()
    assert await rt.store.get(job.id) is None
    assert not rt.results.directory(job.id).exists()


async def left_running_by_a_dead_worker(rt: Runtime, job_id: str) -> None:
    """A crash in the middle of the job. Stopping the queue is a clean stop, which hands the
    job back (QUEUED, its attempt not counted again); a crash leaves it EXECUTING on a worker
    that no longer beats."""
    await rt.queue.aclose()
    job = await rt.service.get(LOCAL_USER, job_id)
    assert job.phase is P.QUEUED
    await rt.store.apply(job_id, TAKE, expect_attempts=job.attempts, worker="w-dead")


async def test_job_of_a_lost_worker_is_retried_then_fails(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {"seconds": 30}, run=True)
    await until(rt, job.id, P.EXECUTING)
    # the worker dies: its task vanishes and its heartbeat is old
    await left_running_by_a_dead_worker(rt, job.id)
    await rt.store.heartbeat("w-test", utc_now() - timedelta(minutes=5))
    await rt.maintenance.recover((await rt.store.orphaned(utc_now()))[0])
    retried = await until(rt, job.id, P.EXECUTING)
    assert retried.attempts == 2
    await left_running_by_a_dead_worker(rt, job.id)
    for orphan in await rt.store.orphaned(utc_now()):
        await rt.maintenance.recover(orphan)
    failed = await rt.service.get(LOCAL_USER, job.id)
    assert failed.phase is P.ERROR
    assert failed.error is not None
    assert failed.error.code == "worker_lost"
    assert "w-dead" in failed.error.message
    assert "killed or crashed" in failed.error.message


async def test_stale_delivery_does_nothing(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {}, run=True)
    await until(rt, job.id, P.COMPLETED)
    await rt.executor.execute(job.id, 1)  # a duplicate of attempt 1
    again = await rt.service.get(LOCAL_USER, job.id)
    assert (again.phase, again.attempts) == (P.COMPLETED, 1)


class FailingOnce(InMemoryJobStore):
    """A store whose next ``apply`` fails as a lost database connection does."""

    def __init__(self, jobs: dict[str, Job]) -> None:
        super().__init__()
        self.jobs = jobs
        self.reads = 0
        self.failures = 1

    async def get(self, job_id: str) -> Job | None:
        self.reads += 1
        return await super().get(job_id)

    async def apply(
        self, job_id: str, move: Move, *, expect_attempts: int | None = None, **changes: Any
    ) -> Job:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the database went away")
        return await super().apply(job_id, move, expect_attempts=expect_attempts, **changes)


async def test_a_take_that_fails_on_the_store_is_retried(rt: Runtime) -> None:
    # the queued message names the job's type: the worker takes the job without reading it
    # first, and a store failure while taking it does not leave it QUEUED for ever
    job = await rt.service.create(LOCAL_USER, "test.sleep", {})
    await rt.store.apply(job.id, RUN)
    store = FailingOnce(rt.store.jobs)
    executor = JobExecutor(
        store=store, bus=rt.bus, context=rt.executor.context, types=JOB_TYPES, worker_id="w2"
    )
    await executor.execute(job.id, 1, "test.sleep")
    done = await rt.service.get(LOCAL_USER, job.id)
    assert (done.phase, done.attempts, done.worker) == (P.COMPLETED, 1, "w2")
    assert (store.failures, store.reads) == (0, 0)


async def test_watch_job_yields_current_phase_then_changes(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {"seconds": 0.05})
    seen: list[ExecutionPhase] = []

    async def watch() -> None:
        async for event in rt.service.watch_job(LOCAL_USER, job.id):
            seen.append(event.phase)

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.01)
    await rt.service.start(LOCAL_USER, job.id)
    async with asyncio.timeout(10):
        await watcher
    assert seen == [P.PENDING, P.QUEUED, P.EXECUTING, P.COMPLETED]


async def test_wait_blocks_until_the_phase_changes(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {"seconds": 0.2}, run=True)
    await until(rt, job.id, P.EXECUTING)
    waited = await rt.service.wait(LOCAL_USER, job.id, timeout=10, while_in=P.EXECUTING)
    assert waited.phase is P.COMPLETED
    unchanged = await rt.service.wait(LOCAL_USER, job.id, timeout=10, while_in=P.EXECUTING)
    assert unchanged.phase is P.COMPLETED  # not in the phase waited on: answers at once


async def test_multi_query_job_combines_rows_of_datasets(rt: Runtime) -> None:
    job = await rt.service.create(
        LOCAL_USER, "query.multi", {"datasets": "mem-a,mem-b", "target": "M31"}, run=True
    )
    final = await until(rt, job.id, P.COMPLETED, P.ERROR)
    assert final.phase is P.COMPLETED, final.error
    from astropy.table import Table

    table = Table.read(rt.results.path(job.id, "rows.vot"), format="votable")
    assert list(table["dataset"]) == ["mem-a"] * 3
    assert sorted(table["id"]) == ["a-0", "a-1", "a-2"]
    summary = json.loads(rt.results.path(job.id, "datasets.json").read_text())
    assert [(s["dataset"], s["rows"]) for s in summary] == [("mem-a", 3), ("mem-b", 0)]


async def test_maintenance_ends_a_job_stuck_past_its_duration(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {"seconds": 30}, run=True)
    await until(rt, job.id, P.EXECUTING)
    # as if the worker could not record the end: started long ago, still EXECUTING
    await rt.store.update(
        job.id, only_in={P.EXECUTING}, start_time=utc_now() - timedelta(seconds=60 + 31)
    )
    await rt.maintenance.tick()
    final = await rt.service.get(LOCAL_USER, job.id)
    assert final.phase is P.ABORTED
    assert final.error is not None
    assert final.error.code == "execution_duration_exceeded"


async def test_job_deleted_while_running_leaves_no_files(rt: Runtime) -> None:
    job = await rt.service.create(LOCAL_USER, "test.sleep", {"seconds": 0.2}, run=True)
    await until(rt, job.id, P.EXECUTING)
    await rt.store.delete(job.id)  # gone behind the executor's back
    await asyncio.sleep(0.5)
    assert not rt.results.directory(job.id).exists()


async def test_a_queue_message_is_lost_only_when_missing_at_two_rounds(rt: Runtime) -> None:
    # Each round of maintenance asks the queue which QUEUED jobs have no message; a job stored
    # but not queued yet, or whose message its worker spent just after the store was read,
    # is missing at one round only, and must not be queued twice.
    pending = await rt.service.create(LOCAL_USER, "test.sleep", {})
    queued = await rt.store.apply(pending.id, RUN)  # QUEUED, no message sent
    missing = {queued.id}
    requeued: list[tuple[str, int]] = []

    async def lost(jobs: list[Job]) -> list[Job]:
        return [job for job in jobs if job.id in missing]

    async def requeue(job: Job, attempt: int) -> None:
        requeued.append((job.id, attempt))

    maintenance = JobMaintenance(
        store=rt.store,
        bus=rt.bus,
        results=rt.results,
        requeue=requeue,
        abort=rt.queue.abort,
        worker_id=None,
        worker_timeout=5,
        max_attempts=2,
        interval=60,
        lost=lost,
    )
    await maintenance.tick()
    assert requeued == []  # missing once: maybe late
    missing.clear()  # its message arrived
    await maintenance.tick()
    missing.add(queued.id)
    await maintenance.tick()
    assert requeued == []  # missing again, but not at two rounds in a row
    await maintenance.tick()
    assert requeued == [(queued.id, 1)]  # lost: queued again, once
    await maintenance.tick()
    assert requeued == [(queued.id, 1)]  # the new message gets the same grace
