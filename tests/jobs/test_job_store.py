"""SqlJobStore on SQLite and on the local PostgreSQL: compare-and-set phases, filters,
orphans and expiry; the in-memory store must agree with it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from esap_graphql.domain.jobs import (
    ErrorType,
    Job,
    JobError,
    JobFilter,
    JobResult,
    UnknownJob,
    utc_now,
)
from esap_graphql.domain.uws import RUN, TAKE, ExecutionPhase, IllegalPhaseTransition, finish
from esap_graphql.storage.database import create_engine, migrate
from esap_graphql.storage.job_store import JobStore
from esap_graphql.storage.memory_job_store import InMemoryJobStore
from esap_graphql.storage.sql_job_store import SqlJobStore

P = ExecutionPhase
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobStore]:
    if request.param == "memory":
        yield InMemoryJobStore()
        return
    name = f"esap_jobs_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'jobs.sqlite3'}"
    else:
        try:
            conn = await asyncpg.connect(POSTGRES_ADMIN, timeout=10)
        except (OSError, asyncpg.PostgresError) as exc:
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN}: {exc}")
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    engine = create_engine(url)
    await migrate(engine)
    try:
        yield SqlJobStore(engine=engine)
    finally:
        await engine.dispose()
        if request.param == "postgres":
            conn = await asyncpg.connect(POSTGRES_ADMIN, timeout=10)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()


def new_job(owner: str = "u1", phase: ExecutionPhase = P.PENDING, **changes: object) -> Job:
    now = utc_now()
    job = Job(
        id=uuid.uuid4().hex,
        owner=owner,
        type="test.sleep",
        phase=phase,
        parameters={"seconds": 1.5, "tags": ["a", "b"]},
        creation_time=now,
        execution_duration=60,
        destruction_time=now + timedelta(days=1),
    )
    return job.with_changes(**changes)


async def test_round_trip_keeps_every_attribute(store: JobStore) -> None:
    job = new_job(run_id="r", quote=utc_now())
    await store.add(job)
    assert await store.get(job.id) == job
    done = await store.apply(job.id, RUN)
    finished = await store.apply(
        done.id,
        TAKE,
        start_time=utc_now(),
        worker="w",
        attempts=1,
    )
    final = await store.apply(
        finished.id,
        finish(P.ERROR),
        results=(JobResult(name="a.json", mime_type="application/json", size=3),),
        error=JobError(type=ErrorType.TRANSIENT, code="c", message="m", detail="d"),
        end_time=utc_now(),
    )
    assert await store.get(job.id) == final
    assert final.error == JobError(type=ErrorType.TRANSIENT, code="c", message="m", detail="d")
    assert final.results[0].size == 3


async def test_transitions_are_compare_and_set(store: JobStore) -> None:
    job = new_job(phase=P.QUEUED)
    await store.add(job)
    outcomes = await asyncio.gather(
        *(
            store.apply(job.id, TAKE, expect_attempts=0, attempts=1, worker=f"w{i}")
            for i in range(5)
        ),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if isinstance(o, Job)]
    assert len(winners) == 1
    assert all(isinstance(o, IllegalPhaseTransition) for o in outcomes if not isinstance(o, Job))
    with pytest.raises(IllegalPhaseTransition):
        await store.apply(job.id, TAKE)
    with pytest.raises(UnknownJob):
        await store.apply("missing", RUN)


async def test_list_filters_and_counts(store: JobStore) -> None:
    jobs = []
    for phase in (P.PENDING, P.COMPLETED, P.EXECUTING):
        job = new_job(phase=phase)
        await store.add(job)
        jobs.append(job)
        await asyncio.sleep(0.005)
    await store.add(new_job(owner="u2"))
    listed = await store.find("u1", JobFilter())
    assert [j.id for j in listed] == [j.id for j in reversed(jobs)]
    only = await store.find("u1", JobFilter(phases=frozenset({P.COMPLETED, P.PENDING})))
    assert {j.id for j in only} == {jobs[0].id, jobs[1].id}
    after = await store.find("u1", JobFilter(after=jobs[0].creation_time))
    assert [j.id for j in after] == [jobs[2].id, jobs[1].id]
    assert [j.id for j in await store.find("u1", JobFilter(last=1))] == [jobs[2].id]
    assert await store.count_unfinished("u1") == 2


async def test_add_under_a_limit_counts_only_the_owners_unfinished_jobs(
    store: JobStore,
) -> None:
    await store.add(new_job(phase=P.QUEUED))
    await store.add(new_job(phase=P.COMPLETED))  # ended: does not count
    await store.add(new_job(owner="u2", phase=P.QUEUED))  # someone else's
    kept = new_job(run_id="r", quote=utc_now())
    assert await store.add(kept, max_unfinished=2)
    assert await store.get(kept.id) == kept  # every attribute, as a plain add keeps them
    refused = new_job()
    assert not await store.add(refused, max_unfinished=2)
    assert await store.get(refused.id) is None
    assert await store.count_unfinished("u1") == 2
    assert await store.add(new_job(owner="u2"), max_unfinished=2)


async def test_orphans_and_expired(store: JobStore) -> None:
    now = utc_now()
    await store.heartbeat("alive", now)
    await store.heartbeat("dead", now - timedelta(minutes=1))
    await store.heartbeat("dead", now - timedelta(minutes=1))  # update, not insert
    mine = new_job(phase=P.EXECUTING, worker="alive")
    lost = new_job(phase=P.EXECUTING, worker="dead")
    gone = new_job(phase=P.EXECUTING, worker="never-seen")
    old = new_job(phase=P.COMPLETED, destruction_time=now - timedelta(seconds=1))
    for job in (mine, lost, gone, old):
        await store.add(job)
    orphans = await store.orphaned(now - timedelta(seconds=10))
    assert {j.id for j in orphans} == {lost.id, gone.id}
    await store.remove_worker("alive")
    assert mine.id in {j.id for j in await store.orphaned(now - timedelta(seconds=10))}
    assert [j.id for j in await store.expired(now)] == [old.id]
    assert await store.delete(old.id) is True
    assert await store.delete(old.id) is False
