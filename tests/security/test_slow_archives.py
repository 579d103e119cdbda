"""Slow archives hold nothing but their own requests: async TAP jobs talk to archives over
httpx with one deadline per call, so a service that drips bytes forever ends its own job in a
typed error, aborting frees what the job held, and other queries answer meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings, parse_catalogue
from esap_graphql.context import ProcessContext
from esap_graphql.factory import gateway_context
from tests.security.hostile import HostileArchive, catalogue, eventually, hostile_archive
from tests.support import graphql_data

#: More slow jobs than the default thread pool has threads (min(32, cores + 4) = 6 here).
SLOW_JOBS = 10


@pytest.fixture(scope="module")
def archive() -> Iterator[HostileArchive]:
    with hostile_archive() as served:
        yield served


@pytest.fixture
async def gateway(
    archive: HostileArchive, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, ProcessContext]]:
    settings = Settings(
        data_dir=tmp_path,
        job_remote_timeout=3,
        job_concurrency=SLOW_JOBS + 2,
        job_remote_poll_interval=0.1,
        query_timeout=30,
    )
    text = catalogue(archive, "drip", "ok")
    process = await gateway_context(settings, catalogue=parse_catalogue(text, source="hostile"))
    try:
        async with (
            LifespanManager(create_app(settings, process=process)) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as http,
        ):
            yield http, process
    finally:
        await process.aclose()


async def job(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    data = await graphql_data(
        client,
        "query($id: ID!) { job(id: $id) { phase error { type code message } } }",
        {"id": job_id},
    )
    found: dict[str, Any] = data["job"]
    return found


async def create(client: httpx.AsyncClient, dataset: str) -> str:
    data = await graphql_data(
        client,
        """mutation($p: JSON!) { createJob(type: "query.tap", run: true, parameters: $p) {
            ... on Job { id } } }""",
        {"p": {"dataset": dataset, "query": "SELECT * FROM ivoa.obscore"}},
    )
    created: str = data["createJob"]["id"]
    return created


async def test_drip_fed_jobs_end_in_their_own_timeout_while_queries_answer(
    gateway: tuple[httpx.AsyncClient, ProcessContext],
) -> None:
    client, _ = gateway
    jobs = [await create(client, "drip") for _ in range(SLOW_JOBS)]
    await asyncio.sleep(0.5)  # every job is now waiting on the dripping archive
    answered = await graphql_data(
        client, '{ dataset(id: "ok") { query(params: {}) { status totalCount } } }'
    )
    assert answered["dataset"]["query"] == {"status": "OK", "totalCount": 1}

    async def all_failed() -> bool:
        return all(state["phase"] == "ERROR" for state in [await job(client, j) for j in jobs])

    assert await eventually(all_failed, timeout=60)
    for state in [await job(client, j) for j in jobs]:
        assert state["error"]["type"] == "TRANSIENT"
        assert state["error"]["message"].startswith("could not start the query on the archive:")
        assert "did not answer within 3 s" in state["error"]["message"]


async def test_aborting_a_job_frees_what_it_held(
    gateway: tuple[httpx.AsyncClient, ProcessContext], archive: HostileArchive
) -> None:
    client, _ = gateway
    job_id = await create(client, "drip")

    async def executing() -> bool:
        return bool((await job(client, job_id))["phase"] == "EXECUTING")

    assert await eventually(executing)
    task = next(t for t in asyncio.all_tasks() if t.get_name() == f"job-{job_id}")
    data = await graphql_data(
        client, "mutation($id: ID!) { abortJob(id: $id) { ... on Job { phase } } }", {"id": job_id}
    )
    assert data["abortJob"]["phase"] == "ABORTED"

    async def gone() -> bool:
        return task.done()

    assert await eventually(gone)  # the job's task and its connection to the archive
    assert task.cancelled()
    assert (await job(client, job_id))["phase"] == "ABORTED"
