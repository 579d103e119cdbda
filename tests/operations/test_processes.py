"""Several processes: `serve --workers`, graceful shutdown, jobs handed back, subscriptions
whichever process holds the socket."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aredis
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.messaging.arq_queue import queue_name
from tests.jobs.conftest import (
    REDIS_URL,
    WorkerProcess,
    collect_phases,
    job_settings,
    live_server,
    settings_env,
    start_worker,
    ws_session,
)
from tests.multi_query.conftest import proxy_catalogue
from tests.operations.test_metrics import sample
from tests.servers import DachsProxy, Fault, free_port
from tests.support import graphql_data

JOB = "query($id: ID!) { job(id: $id) { phase attempts } }"
SLOW_QUERY = """
{ dataset(id: "slow") { query(params: {ra: 200, dec: 50, radius: 2}) { status totalCount } } }
"""


def sleep_job(seconds: float, *, run: bool = True) -> str:
    return (
        f'mutation {{ createJob(type: "test.sleep", parameters: {{seconds: {seconds}}}, '
        f"run: {str(run).lower()}) {{ ... on Job {{ id }} }} }}"
    )


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


@pytest.fixture
def served(
    proxy: tuple[DachsProxy, str], tmp_path: Path, redis_prefix: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`esap-graphql serve --workers 2` over the proxied datasets."""
    _, base = proxy
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(proxy_catalogue(base, timeout=20.0), encoding="utf-8")
    settings = job_settings(
        tmp_path, config=catalogue, redis_url=REDIS_URL, redis_prefix=redis_prefix
    )
    port = free_port()
    env = settings_env(settings)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["ESAP_ALLOWED_HOSTS"] = "localhost"  # settings_env writes lists as Python reprs
    env["ESAP_CORS_ORIGINS"] = ""
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "esap_graphql", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            try:
                # two workers (and multiprocessing's resource tracker) started
                up = httpx.get(f"{url}/health", timeout=2).status_code == 200
                if up and len(children(server.pid)) >= 2:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield url, server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        log.close()


@pytest.mark.redis
@pytest.mark.dachs
async def test_two_gateway_processes_share_one_port_and_one_metrics_page(
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        for _ in range(20):
            # a new connection each time: the kernel spreads them over both processes
            async with httpx.AsyncClient(base_url=url, timeout=20) as once:
                await graphql_data(once, "query Listing { archives { id } }")
        for _ in range(3):  # whichever process answers the scrape sees both processes' counts
            page = (await http.get("/metrics")).text
            assert (
                sample(page, "esap_graphql_operations_total", operation="Listing", type="query")
                == 20
            )


@pytest.mark.redis
@pytest.mark.dachs
async def test_a_stopping_gateway_finishes_the_requests_in_flight(
    served: tuple[str, subprocess.Popen[bytes]], proxy: tuple[DachsProxy, str]
) -> None:
    faults, _ = proxy
    faults.faults["slow"] = Fault(delay=2.0)
    url, parent = served
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        answer = asyncio.create_task(http.post("/graphql", json={"query": SLOW_QUERY}))
        async with asyncio.timeout(10):
            while faults.count("slow") == 0:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        parent.send_signal(signal.SIGTERM)
        response = await answer
    assert response.status_code == 200
    assert response.json()["data"]["dataset"]["query"]["status"] == "OK"
    assert await asyncio.to_thread(parent.wait, 30) == 0


@pytest.mark.redis
async def test_a_stopping_worker_hands_its_job_back_and_another_finishes_it(
    tmp_path: Path, redis_prefix: str, workers: list[WorkerProcess]
) -> None:
    settings = job_settings(
        tmp_path, redis_url=REDIS_URL, redis_prefix=redis_prefix, job_worker_timeout=600
    )
    first = start_worker(workers, settings, tmp_path)
    app = create_app(settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
        ) as http,
    ):
        job_id = (await graphql_data(http, sleep_job(2)))["createJob"]["id"]
        await until(http, job_id, "EXECUTING")
        first.stop()  # SIGTERM
        # back in the queue at once: not after the (here ten-minute) lost-worker timeout
        job = await until(http, job_id, "QUEUED")
        assert job["attempts"] == 1
        start_worker(workers, settings, tmp_path)
        job = await until(http, job_id, "COMPLETED")
        assert job["attempts"] == 2


async def test_a_stopping_gateway_hands_its_in_process_job_back(tmp_path: Path) -> None:
    settings = job_settings(tmp_path)
    for attempt in (1, 2):
        app = create_app(settings)
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as http,
        ):
            if attempt == 1:
                job_id = (await graphql_data(http, sleep_job(1)))["createJob"]["id"]
                await until(http, job_id, "EXECUTING")
            else:  # the next start queues it again
                job = await until(http, job_id, "COMPLETED")
                assert job["attempts"] == 2


async def until(http: httpx.AsyncClient, job_id: str, phase: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            job: dict[str, Any] = (await graphql_data(http, JOB, {"id": job_id}))["job"]
            if job["phase"] == phase:
                return job
            await asyncio.sleep(0.05)


@pytest.mark.redis
async def test_a_subscription_hears_a_job_another_process_started(
    tmp_path: Path, redis_prefix: str, workers: list[WorkerProcess]
) -> None:
    settings: Settings = job_settings(tmp_path, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    start_worker(workers, settings, tmp_path)
    with live_server(settings) as one, live_server(settings) as other:
        async with httpx.AsyncClient(base_url=other, timeout=20) as http:
            job_id = (await graphql_data(http, sleep_job(0.2, run=False)))["createJob"]["id"]
            async with ws_session(one) as session:
                listening = asyncio.create_task(collect_phases(session, job_id))
                await asyncio.sleep(0.5)  # subscribed on one
                started = await graphql_data(
                    http,
                    "mutation($id: ID!) { startJob(id: $id) { ... on Job { phase } } }",
                    {"id": job_id},
                )
                assert started["startJob"]["phase"] == "QUEUED"
                phases = await listening
    assert phases == ["PENDING", "QUEUED", "EXECUTING", "COMPLETED"]


@pytest.mark.redis
@pytest.mark.parametrize("how", ["message lost", "claimed by a worker that died"])
async def test_a_job_whose_queue_message_was_lost_is_queued_again(
    tmp_path: Path, redis_prefix: str, workers: list[WorkerProcess], how: str
) -> None:
    settings = job_settings(tmp_path, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    app = create_app(settings)
    client = aredis.Redis.from_url(REDIS_URL)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
        ) as http,
    ):
        job_id = (await graphql_data(http, sleep_job(0)))["createJob"]["id"]
        arq_id = f"{job_id}.1"
        await client.zrem(queue_name(redis_prefix), arq_id)
        if how == "message lost":  # a Redis restart without persistence, a key deleted
            await client.delete(f"arq:job:{arq_id}")
        else:  # what a worker's claim leaves when the worker dies before taking the job
            await client.psetex(f"arq:in-progress:{arq_id}", 600_000, b"1")
            await client.incr(f"arq:retry:{arq_id}")
        await asyncio.to_thread(start_worker, workers, settings, tmp_path)
        job = await until(http, job_id, "COMPLETED")
        assert job["attempts"] == 1
    await client.aclose()
