"""/health, /ready, request ids and the log lines an operator collects."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.context import ProcessContext
from esap_graphql.factory import Factory
from esap_graphql.telemetry import logs
from tests.jobs.conftest import REDIS_URL, job_settings
from tests.support import graphql


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the root logger writes, as JSON lines."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)


async def test_health_and_ready_without_redis(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready"}


@pytest.fixture
async def redis_client(tmp_path: Path, redis_prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose jobs go to arq workers on Redis (none running)."""
    settings = job_settings(tmp_path, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    app = create_app(settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
        ) as http,
    ):
        http.app_settings = settings  # type: ignore[attr-defined]
        yield http


@pytest.mark.redis
async def test_ready_says_no_worker_is_alive_then_ready_once_one_beats(
    tmp_path: Path, redis_client: httpx.AsyncClient
) -> None:
    response = await redis_client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert set(body["problems"]) == {"workers"}
    assert "heartbeat" in body["problems"]["workers"]

    # a worker's heartbeat, through the same database
    factory = Factory(redis_client.app_settings)  # type: ignore[attr-defined]
    try:
        await (await factory.job_store()).heartbeat("arq-test-worker", datetime.now(UTC))
    finally:
        await factory.aclose()
    response = await redis_client.get("/ready")
    assert response.status_code == 200, response.text


@pytest.mark.redis
async def test_ready_names_redis_when_it_does_not_answer(tmp_path: Path, redis_prefix: str) -> None:
    settings = job_settings(tmp_path, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    factory = Factory(settings.model_copy(update={"redis_url": "redis://127.0.0.1:9/0"}))
    try:
        problems = await factory.not_ready()
    finally:
        await factory.aclose()
    assert set(problems) == {"redis", "workers"}
    assert "database" not in problems


async def test_request_ids_are_kept_made_and_sent_back(client: httpx.AsyncClient) -> None:
    kept = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["X-Request-ID"] == "abc-123"
    made = await client.get("/health")
    assert len(made.headers["X-Request-ID"]) == 32
    refused = await client.get("/health", headers={"X-Request-ID": "no spaces <here>"})
    assert refused.headers["X-Request-ID"] != "no spaces <here>"
    assert len(refused.headers["X-Request-ID"]) == 32


async def test_log_lines_carry_the_request_id_and_user_never_the_token(
    client: httpx.AsyncClient, process: ProcessContext, lines: io.StringIO
) -> None:
    await graphql(
        client,
        "query Broken { nosuchfield }",
        headers={"X-Request-ID": "req-42", "Authorization": "Bearer s3cret-token-value"},
    )
    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    mine = [r for r in records if r.get("request_id") == "req-42"]
    assert mine, records
    assert all(r["user"] for r in mine)
    assert any("nosuchfield" in r["message"] for r in mine)
    assert {"time", "level", "logger", "message"} <= mine[0].keys()
    assert "s3cret-token-value" not in lines.getvalue()


def test_text_on_a_terminal_json_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        for stream, want in ((Terminal(), logs.TextFormatter), (io.StringIO(), logs.JsonFormatter)):
            monkeypatch.setattr(sys, "stderr", stream)
            logs.configure("INFO")
            assert isinstance(root.handlers[0].formatter, want)
            logging.getLogger("esap.test").info("hello %s", "there")
            written = stream.getvalue().strip()
            if want is logs.JsonFormatter:
                assert json.loads(written)["message"] == "hello there"
            else:
                assert written.endswith("esap.test: hello there")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
