"""Two gateway processes and two arq workers on PostgreSQL and Redis behind haproxy: the
features end to end through the proxy, then a gateway and a worker restarted in turn under a
load of queries and jobs, losing no request and no job.

The processes start once for the module (``topology``); scripts/setup-haproxy.sh installs
haproxy.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from esap_graphql.config import Settings
from tests.basket.conftest import create_postgres_database, drop_postgres_database
from tests.jobs.conftest import (
    REDIS_URL,
    WorkerProcess,
    collect_phases,
    job_settings,
    settings_env,
    ws_session,
)
from tests.servers import free_port
from tests.support import graphql, graphql_data

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.dachs]

CONE = {"ra": 150.0, "dec": 2.0, "radius": 1.0}
QUERY = """
query($params: QueryParamsInput!) {
  dataset(id: "esap-sources") { query(params: $params, pageSize: 5) { status totalCount } }
}
"""
JOB = "query($id: ID!) { job(id: $id) { phase attempts } }"
OK = ("OK", "OVERFLOW")  # answered (OVERFLOW: more match than the page limit)


def sleep_job(seconds: float, *, run: bool = True) -> str:
    return (
        f'mutation {{ createJob(type: "test.sleep", parameters: {{seconds: {seconds}}}, '
        f"run: {str(run).lower()}) {{ __typename ... on Job {{ id }} "
        "... on Error { code message } } }"
    )


HAPROXY = """
global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 120s
    retries 5
    option redispatch 1
    # only errors where the request never reached a gateway's application, so a retry never
    # runs a mutation twice
    retry-on conn-failure empty-response junk-response
    option http-buffer-request
frontend gateway
    bind 127.0.0.1:{port}
    default_backend gateways
backend gateways
    balance roundrobin
    option httpchk GET /health
    # a loaded machine may answer a check late: that is no reason to take a gateway out
    timeout check 5s
    default-server check inter 400ms fall 2 rise 2
    server one 127.0.0.1:{one}
    server two 127.0.0.1:{two}
"""


class Gateway:
    """One `esap-graphql serve` process on its own port."""

    def __init__(self, settings: Settings, port: int, log: Path) -> None:
        self.settings = settings
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = settings_env(self.settings)
        env["ESAP_ALLOWED_HOSTS"] = "localhost"  # settings_env writes lists as Python reprs
        env["ESAP_CORS_ORIGINS"] = ""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "esap_graphql", "serve", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).is_success:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM: finish what is in flight, then exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=40)


@dataclass
class Topology:
    url: str
    settings: Settings
    gateways: list[Gateway]
    workers: list[WorkerProcess]
    tmp: Path
    haproxy: subprocess.Popen[bytes] | None = None
    started: list[WorkerProcess] = field(default_factory=list)

    def restart_worker(self, index: int) -> None:
        self.workers[index].stop()
        worker = WorkerProcess(self.settings, self.tmp / f"worker-{uuid.uuid4().hex[:6]}.log")
        self.started.append(worker)
        worker.wait_ready()
        self.workers[index] = worker


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed: run scripts/setup-haproxy.sh (scripts/test.sh does)")
    tmp = tmp_path_factory.mktemp("topology")
    database = asyncio.run(create_postgres_database())
    prefix = f"esap-topology-{uuid.uuid4().hex[:8]}"
    settings = job_settings(
        tmp,
        database_url=database,
        redis_url=REDIS_URL,
        redis_prefix=prefix,
        job_worker_timeout=60.0,  # recovery must not be what saves a restarted worker's job
        job_max_unfinished=100_000,
    )
    ports = [free_port(), free_port()]
    gateways = [Gateway(settings, port, tmp / f"gateway-{i}.log") for i, port in enumerate(ports)]
    workers: list[WorkerProcess] = []
    haproxy: subprocess.Popen[bytes] | None = None
    topology = Topology(url="", settings=settings, gateways=gateways, workers=workers, tmp=tmp)
    try:
        gateways[0].start()
        gateways[0].wait_ready()  # the first one migrates the database alone
        gateways[1].start()
        workers.extend(WorkerProcess(settings, tmp / f"worker-{i}.log") for i in range(2))
        topology.started.extend(workers)
        for worker in workers:
            worker.wait_ready()
        gateways[1].wait_ready()
        port = free_port()
        config = tmp / "haproxy.cfg"
        config.write_text(HAPROXY.format(port=port, one=ports[0], two=ports[1]))
        with (tmp / "haproxy.log").open("wb") as out:
            haproxy = subprocess.Popen(
                ["haproxy", "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT
            )
        topology.haproxy = haproxy
        topology.url = f"http://localhost:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{topology.url}/health", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert haproxy.poll() is None, (tmp / "haproxy.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(1)  # both servers seen up by the health checks
        yield topology
    finally:
        if haproxy is not None:
            haproxy.terminate()
            haproxy.wait(timeout=10)
        for gateway in gateways:
            gateway.stop()
        for worker in topology.started:
            worker.stop()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()
        asyncio.run(drop_postgres_database(database))


@pytest.fixture
async def http(topology: Topology) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=topology.url, timeout=30) as client:
        yield client


async def until(http: httpx.AsyncClient, job_id: str, *phases: str) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            job: dict[str, Any] = (await graphql_data(http, JOB, {"id": job_id}))["job"]
            if job["phase"] in phases:
                return job
            await asyncio.sleep(0.1)


async def test_archives_queries_and_baskets_through_the_proxy(
    topology: Topology, http: httpx.AsyncClient
) -> None:
    archives = await graphql_data(http, "{ archives { id datasets { id protocol } } }")
    assert {a["id"] for a in archives["archives"]} >= {"esap-test"}
    result = (await graphql_data(http, QUERY, {"params": CONE}))["dataset"]["query"]
    assert result["status"] in ("OK", "OVERFLOW")
    assert result["totalCount"] > 0
    added = await graphql_data(
        http,
        'mutation { addToBasket(items: [{dataset: "esap-sources", recordId: "topo-1"}]) '
        "{ __typename } }",
    )
    assert added["addToBasket"]["__typename"] == "BasketItemsAdded"
    for _ in range(4):  # whichever gateway answers reads the same basket
        basket = await graphql_data(http, "{ basket { count items { recordId } } }")
        assert [i["recordId"] for i in basket["basket"]["items"]] == ["topo-1"]
    ready = await http.get("/ready")
    assert ready.status_code == 200, ready.text


async def test_a_job_runs_on_a_worker_and_a_subscription_hears_it(
    topology: Topology, http: httpx.AsyncClient
) -> None:
    job_id = (await graphql_data(http, sleep_job(0.2, run=False)))["createJob"]["id"]
    async with ws_session(topology.url) as session:
        listening = asyncio.create_task(collect_phases(session, job_id))
        await asyncio.sleep(0.5)
        await graphql_data(
            http, "mutation($id: ID!) { startJob(id: $id) { ... on Job { id } } }", {"id": job_id}
        )
        phases = await listening
    assert phases == ["PENDING", "QUEUED", "EXECUTING", "COMPLETED"]


async def test_restarting_a_gateway_and_a_worker_under_load_loses_nothing(
    topology: Topology, http: httpx.AsyncClient
) -> None:
    failures: list[str] = []
    jobs: list[str] = []
    requests = 0
    stop = asyncio.Event()

    async def load(n: int) -> None:
        nonlocal requests
        async with httpx.AsyncClient(base_url=topology.url, timeout=30) as client:
            step = n
            while not stop.is_set():
                step += 1
                try:
                    if step % 3 == 0:
                        body = await graphql(client, sleep_job(0.5))
                        created = (body.get("data") or {}).get("createJob") or {}
                        if "id" in created:
                            jobs.append(created["id"])
                        elif "errors" not in body:
                            failures.append(f"createJob: {created}")
                    elif step % 3 == 1:
                        body = await graphql(client, QUERY, {"params": CONE})
                        if (
                            body.get("data")
                            and body["data"]["dataset"]["query"]["status"] not in OK
                        ):
                            failures.append(f"query: {body}")
                    else:
                        body = await graphql(client, "{ archives { id name } }")
                    if "errors" in body:
                        failures.append(str(body["errors"]))
                except (AssertionError, httpx.HTTPError) as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")
                requests += 1

    loaders = [asyncio.create_task(load(n)) for n in range(6)]
    await asyncio.sleep(1.5)
    gateway = topology.gateways[0]
    await asyncio.to_thread(gateway.stop)
    await asyncio.sleep(0.5)  # served by the other one alone for a while
    gateway.start()
    await asyncio.to_thread(gateway.wait_ready)
    await asyncio.sleep(1.5)
    await asyncio.to_thread(topology.restart_worker, 0)
    await asyncio.sleep(1.5)
    stop.set()
    await asyncio.gather(*loaders)

    assert failures == []
    assert requests > 50
    assert len(jobs) > 10
    for job_id in jobs:  # none lost, none stuck
        job = await until(http, job_id, "COMPLETED", "ERROR", "ABORTED")
        assert job["phase"] == "COMPLETED", (job_id, job)
