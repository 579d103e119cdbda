"""arq on real Redis with real ``esap-graphql worker`` processes, phase events over a real
uvicorn server to a GraphQL WebSocket client, and workers killed in the middle of a job."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from gql import GraphQLRequest

from esap_graphql.config import Settings
from esap_graphql.domain.jobs import PhaseEvent, utc_now
from esap_graphql.domain.uws import ExecutionPhase
from esap_graphql.factory import Factory
from tests.jobs.conftest import (
    REDIS_URL,
    WorkerProcess,
    collect_phases,
    live_server,
    start_worker,
    ws_session,
)

pytestmark = pytest.mark.redis

CREATE = """
mutation($parameters: JSON, $run: Boolean!, $duration: Int) {
  createJob(type: "test.sleep", parameters: $parameters, run: $run, executionDuration: $duration) {
    ... on Job { id phase }
  }
}
"""
JOB = "query($id: ID!) { job(id: $id) { id phase attempts error { type code message } } }"


async def gq(base: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def create(
    base: str, parameters: dict[str, Any], *, run: bool = True, duration: int | None = None
) -> str:
    data = await gq(base, CREATE, {"parameters": parameters, "run": run, "duration": duration})
    job_id: str = data["createJob"]["id"]
    return job_id


async def job_state(base: str, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = (await gq(base, JOB, {"id": job_id}))["job"]
    return job


async def until_phase(base: str, job_id: str, *phases: str, timeout: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            job = await job_state(base, job_id)
            if job["phase"] in phases:
                return job
            await asyncio.sleep(0.05)


async def test_worker_runs_a_job_and_the_client_hears_every_phase(
    arq_settings_on_both: Settings, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    arq_settings = arq_settings_on_both
    start_worker(workers, arq_settings, tmp_path)
    with live_server(arq_settings) as base:
        job_id = await create(base, {"seconds": 0.1}, run=False)
        phases: list[str] = []
        query = GraphQLRequest(
            "subscription($id: ID!) { jobPhase(id: $id) { jobId phase at } }",
            variable_values={"id": job_id},
        )
        async with ws_session(base) as session, asyncio.timeout(30):
            async for event in session.subscribe(query):
                phases.append(event["jobPhase"]["phase"])
                if phases == ["PENDING"]:
                    started = await gq(
                        base,
                        "mutation($id: ID!) { startJob(id: $id) { ... on Job { phase } } }",
                        {"id": job_id},
                    )
                    assert started["startJob"]["phase"] == "QUEUED"
        assert phases == ["PENDING", "QUEUED", "EXECUTING", "COMPLETED"]
        job = await job_state(base, job_id)
        assert (job["phase"], job["attempts"]) == ("COMPLETED", 1)


async def test_my_jobs_subscription_sees_every_job_of_two_workers(
    arq_settings: Settings, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    start_worker(workers, arq_settings, tmp_path)
    start_worker(workers, arq_settings, tmp_path)
    with live_server(arq_settings) as base:
        seen: dict[str, list[str]] = {}
        query = GraphQLRequest("subscription { myJobs { jobId phase deleted } }")
        async with ws_session(base) as session, asyncio.timeout(60):
            subscription = session.subscribe(query)
            first = asyncio.ensure_future(subscription.__anext__())
            await asyncio.sleep(0.3)  # let the subscription register before creating jobs
            created = [await create(base, {"seconds": 0.05}) for _ in range(6)]
            event = await first
            while True:
                change = event["myJobs"]
                seen.setdefault(change["jobId"], []).append(change["phase"])
                if all(seen.get(j, [])[-1:] == ["COMPLETED"] for j in created):
                    break
                event = await subscription.__anext__()
            await subscription.aclose()
        assert set(seen) == set(created)
        for job_id in created:
            assert seen[job_id] == ["QUEUED", "EXECUTING", "COMPLETED"]


async def test_arq_jobs_are_json_in_redis_not_pickle(
    arq_settings: Settings, redis_prefix: str
) -> None:
    with live_server(arq_settings) as base:  # no worker: the job stays queued
        job_id = await create(base, {})
    client = redis.Redis.from_url(REDIS_URL)
    try:
        raw = client.get(f"arq:job:{job_id}.1")
        queued = client.zrange(f"{redis_prefix}:queue", 0, -1)
    finally:
        client.close()
    assert raw is not None
    assert not raw.startswith(b"\x80"), "a pickle"
    payload = json.loads(raw)
    assert payload["f"] == "run_job"
    assert payload["a"] == [job_id, 1, "test.sleep"]
    assert queued == [f"{job_id}.1".encode()]


async def test_abort_and_execution_duration_stop_jobs_on_a_worker(
    arq_settings: Settings, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    worker = start_worker(workers, arq_settings, tmp_path)
    with live_server(arq_settings) as base:
        long_job = await create(base, {"seconds": 60})
        await until_phase(base, long_job, "EXECUTING")
        await gq(base, "mutation($id: ID!) { abortJob(id: $id) { __typename } }", {"id": long_job})
        async with asyncio.timeout(20):
            while "aborted" not in worker.log.read_text():  # noqa: ASYNC110 (another process)
                await asyncio.sleep(0.05)  # arq cancelled the task in the worker
        assert (await job_state(base, long_job))["phase"] == "ABORTED"

        capped = await create(base, {"seconds": 60}, duration=1)
        job = await until_phase(base, capped, "ABORTED", "COMPLETED", "ERROR")
        assert job["phase"] == "ABORTED"
        assert job["error"]["code"] == "execution_duration_exceeded"


async def test_killed_worker_job_is_retried_by_another_worker(
    arq_settings_on_both: Settings, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    arq_settings = arq_settings_on_both
    first = start_worker(workers, arq_settings, tmp_path)
    with live_server(arq_settings) as base:
        job_id = await create(base, {"seconds": 2})
        await until_phase(base, job_id, "EXECUTING")
        async with ws_session(base) as session:
            watcher = asyncio.create_task(collect_phases(session, job_id, timeout=60))
            await asyncio.sleep(0.3)  # subscribed: it has reported EXECUTING
            first.kill()
            start_worker(workers, arq_settings, tmp_path)
            phases = await watcher
        # EXECUTING on the dead worker until its heartbeat is missed, then again on the new one
        assert phases == ["EXECUTING", "QUEUED", "EXECUTING", "COMPLETED"]
        job = await job_state(base, job_id)
        assert (job["phase"], job["attempts"]) == ("COMPLETED", 2)


async def test_killed_worker_job_ends_in_error_after_its_last_attempt(
    tmp_path: Path, arq_settings: Settings, workers: list[WorkerProcess]
) -> None:
    settings = arq_settings.model_copy(update={"job_max_attempts": 1})
    worker = start_worker(workers, settings, tmp_path)
    with live_server(settings) as base:  # the gateway alone notices the lost worker
        job_id = await create(base, {"seconds": 60})
        await until_phase(base, job_id, "EXECUTING")
        worker.kill()
        job = await until_phase(base, job_id, "ERROR", "COMPLETED", timeout=30)
    assert job["phase"] == "ERROR"
    assert job["error"]["type"] == "TRANSIENT"
    assert job["error"]["code"] == "worker_lost"
    assert "killed or crashed" in job["error"]["message"]


async def test_redis_event_bus_crosses_processes(arq_settings: Settings) -> None:
    factories = Factory(arq_settings), Factory(arq_settings)
    publisher, listener = (factory.event_bus() for factory in factories)
    event = PhaseEvent(job_id="j1", owner="alice", phase=ExecutionPhase.EXECUTING, at=utc_now())
    try:
        async with listener.subscribe("alice") as mine, listener.subscribe("bob") as theirs:
            await publisher.publish(event)
            await publisher.publish(
                PhaseEvent(job_id="j2", owner="bob", phase=ExecutionPhase.QUEUED, at=utc_now())
            )
            async with asyncio.timeout(5):
                got = await mine.__aiter__().__anext__()
                other = await theirs.__aiter__().__anext__()
        assert got == event
        assert other.job_id == "j2"
    finally:
        for factory in factories:
            await factory.aclose()
