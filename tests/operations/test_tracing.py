"""Traces: a caller's traceparent continued through the GraphQL operation, the archive query,
its HTTP request and the SQL statements; jobs carry the trace to arq workers; spans really
leave the process over OTLP/HTTP."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.telemetry import tracing
from tests.jobs.conftest import REDIS_URL, WorkerProcess, job_settings
from tests.queries.gateway_queries import run_query
from tests.servers import serve_in_thread
from tests.support import graphql_data

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
CONE = {"ra": 150.0, "dec": 2.0, "radius": 1.0}
SLEEP_JOB = (
    'mutation { createJob(type: "test.sleep", parameters: {seconds: 0}, run: true) '
    "{ ... on Job { id } } }"
)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.start_tracing("esap-test", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.stop_tracing()


async def client_of(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app),
            base_url="http://localhost",
            headers={"traceparent": TRACEPARENT},
        ) as http,
    ):
        yield http


@pytest.fixture
async def traced_client(
    settings: Settings, spans: InMemorySpanExporter
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway built after tracing started (its database engine is traced too)."""
    async for http in client_of(settings):
        yield http


def named(spans: InMemorySpanExporter, prefix: str) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.name.startswith(prefix)]


def trace_of(span: ReadableSpan) -> str:
    return format(span.context.trace_id, "032x")


@pytest.mark.dachs
async def test_a_query_is_one_trace_from_the_caller_to_the_archive(
    dachs: str, traced_client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    result = await run_query(traced_client, "esap-sources", CONE)
    assert result["error"] is None

    (operation,) = named(spans, "graphql Q")
    assert trace_of(operation) == TRACE_ID
    assert operation.parent is not None
    assert format(operation.parent.span_id, "016x") == PARENT_ID
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.type"] == "query"
    (archive,) = named(spans, "archive esap-sources")
    assert archive.parent is not None
    assert archive.parent.span_id == operation.context.span_id
    requests = [s for s in spans.get_finished_spans() if s.name.split()[0] in ("GET", "POST")]
    assert requests
    for request in requests:
        assert request.parent is not None
        assert request.parent.span_id == archive.context.span_id
        assert request.attributes is not None
        assert request.attributes["http.response.status_code"] == 200
        assert request.attributes["esap.dataset"] == "esap-sources"


async def test_sql_statements_and_in_process_jobs_join_the_callers_trace(
    traced_client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    created = await graphql_data(traced_client, SLEEP_JOB)
    job_id = created["createJob"]["id"]
    async with asyncio.timeout(20):
        while not [s for s in named(spans, "job") if _job_id(s) == job_id]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    (job,) = [s for s in named(spans, "job") if _job_id(s) == job_id]
    assert trace_of(job) == TRACE_ID
    sql = [s for s in named(spans, "SQL ") if trace_of(s) == TRACE_ID]
    assert any(s.name == "SQL INSERT" for s in sql), [s.name for s in sql]


def _job_id(span: ReadableSpan) -> Any:
    return (span.attributes or {}).get("esap.job.id")


async def test_tracing_off_records_nothing_and_sends_no_traceparent() -> None:
    assert not tracing.enabled()
    assert tracing.carrier() == {}
    with tracing.span("nothing") as current:
        assert current is None


class OtlpReceiver:
    """An OTLP/HTTP trace receiver: decodes each export request's protobuf body."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str, str]] = []  # (service, span name, trace id)
        self._lock = threading.Lock()

    async def _traces(self, request: Request) -> Response:
        assert request.headers["content-type"] == "application/x-protobuf"
        export = ExportTraceServiceRequest()
        export.ParseFromString(await request.body())
        with self._lock:
            for resource_spans in export.resource_spans:
                service = next(
                    a.value.string_value
                    for a in resource_spans.resource.attributes
                    if a.key == "service.name"
                )
                for scope in resource_spans.scope_spans:
                    for span in scope.spans:
                        self.spans.append((service, span.name, span.trace_id.hex()))
        return Response(b"", media_type="application/x-protobuf")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/traces", self._traces, methods=["POST"])])

    def seen(self, service: str, name: str, trace_id: str) -> bool:
        with self._lock:
            return (service, name, trace_id) in self.spans


@pytest.mark.redis
async def test_spans_of_the_gateway_and_an_arq_worker_reach_an_otlp_receiver(
    tmp_path: Path, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = OtlpReceiver()
    with serve_in_thread(receiver.app()) as collector:
        settings = job_settings(tmp_path, redis_url=REDIS_URL, redis_prefix=redis_prefix)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector)
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
        monkeypatch.setenv("OTEL_SERVICE_NAME", "esap-worker-test")
        worker = WorkerProcess(settings, tmp_path / "worker.log")  # inherits the OTEL_ variables
        try:
            worker.wait_ready()
            monkeypatch.setenv("OTEL_SERVICE_NAME", "esap-gateway-test")
            tracing.start_tracing("esap-graphql")  # the real OTLP/HTTP exporter, as in production
            try:
                async for http in client_of(settings):
                    created = await graphql_data(http, SLEEP_JOB)
                    job_id = created["createJob"]["id"]
                    query = "query($id: ID!) { job(id: $id) { phase } }"
                    async with asyncio.timeout(30):
                        phase = ""
                        while phase != "COMPLETED":
                            await asyncio.sleep(0.05)
                            job = await graphql_data(http, query, {"id": job_id})
                            phase = job["job"]["phase"]
                tracing.flush()
            finally:
                tracing.stop_tracing()
            deadline = time.monotonic() + 20
            while not receiver.seen("esap-worker-test", "job", TRACE_ID):
                assert time.monotonic() < deadline, receiver.spans
                await asyncio.sleep(0.1)
            assert receiver.seen("esap-gateway-test", "graphql", TRACE_ID), receiver.spans
            assert receiver.seen("esap-gateway-test", "SQL INSERT", TRACE_ID), receiver.spans
        finally:
            worker.stop()
