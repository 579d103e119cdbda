"""Fixtures for jobs: settings for both backends, Redis (db 9, our own key prefix), real worker
processes, a real uvicorn server, and a GraphQL WebSocket client."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from tests.basket.conftest import create_postgres_database, drop_postgres_database
from tests.servers import serve_in_thread
from tests.support import DACHS_CATALOGUE

#: Redis database reserved for these tests; only keys under a test's prefix and arq's keys
#: of that database are deleted.
REDIS_URL = "redis://127.0.0.1:6379/9"


def job_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings over the DaCHS catalogue with a private database and result directory."""
    values: dict[str, Any] = {
        "config": DACHS_CATALOGUE,
        "data_dir": tmp_path / "data",
        "query_timeout": 20,
        "job_maintenance_interval": 0.5,
        "job_remote_poll_interval": 0.2,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A fresh key prefix on the test Redis database; fails (never skips) if Redis is down."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not running at {REDIS_URL}: {exc}")
    prefix = f"esaptest-{uuid.uuid4().hex[:10]}"
    try:
        yield prefix
    finally:
        for pattern in (f"{prefix}*", "arq:*"):
            for key in client.scan_iter(pattern):
                client.delete(key)
        client.close()


@pytest.fixture
def arq_settings(tmp_path: Path, redis_prefix: str) -> Settings:
    """Settings of the arq backend: Redis queue and event bus, short lost-worker timeout."""
    return job_settings(
        tmp_path, redis_url=REDIS_URL, redis_prefix=redis_prefix, job_worker_timeout=2.0
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def arq_settings_on_both(
    request: pytest.FixtureRequest, arq_settings: Settings
) -> AsyncIterator[Settings]:
    """``arq_settings`` on SQLite, then on a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield arq_settings
        return
    url = await create_postgres_database()
    try:
        yield arq_settings.model_copy(update={"database_url": url})
    finally:
        await drop_postgres_database(url)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a subprocess these settings."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"ESAP_{name.upper()}"] = str(value)
    env.pop("ESAP_OIDC_CLIENT_SECRET", None)
    return env


class WorkerProcess:
    """A real ``esap-graphql worker`` process, with its log in a file."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "esap_graphql", "worker"],
            env=settings_env(settings),
            stdout=self._file,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        """Block until the worker has said it is ready (it then heart-beats and polls)."""
        deadline = time.monotonic() + timeout
        while "ready: job types" not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{self.log.read_text()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when a host dies."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._file.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    """Worker processes started by a test (``start_worker``); all stopped afterwards."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()


def start_worker(workers: list[WorkerProcess], settings: Settings, tmp_path: Path) -> WorkerProcess:
    """Start one more worker process and wait until it is ready."""
    worker = WorkerProcess(settings, tmp_path / f"worker-{len(workers)}.log")
    workers.append(worker)
    worker.wait_ready()
    return worker


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """The gateway under a real uvicorn server on a free port; yields its base URL."""
    with serve_in_thread(create_app(settings)) as url:
        yield url


@asynccontextmanager
async def ws_session(base_url: str) -> AsyncIterator[Any]:
    """A GraphQL session over WebSocket (graphql-transport-ws) to a live server."""
    transport = WebsocketsTransport(
        url=base_url.replace("http", "ws", 1) + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        connect_timeout=10,
        close_timeout=5,
    )
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        yield session


async def collect_phases(session: Any, job_id: str, *, timeout: float = 30) -> list[str]:
    """Every phase jobPhase reports for the job, until the subscription ends."""
    phases: list[str] = []
    query = GraphQLRequest(
        "subscription($id: ID!) { jobPhase(id: $id) { jobId phase at } }",
        variable_values={"id": job_id},
    )
    async with asyncio.timeout(timeout):
        async for event in session.subscribe(query):
            assert event["jobPhase"]["jobId"] == job_id
            phases.append(event["jobPhase"]["phase"])
    return phases
