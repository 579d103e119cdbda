"""/metrics: what an operator scrapes after real operations against DaCHS."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.telemetry.prometheus import PrometheusMetrics
from tests.queries.gateway_queries import run_query
from tests.support import graphql, graphql_data

pytestmark = pytest.mark.dachs

CONE = {"ra": 150.0, "dec": 2.0, "radius": 1.0}


def sample(page: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in page.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-zA-Z_:]+)(?:\{(.*)\})? (\S+)", line)
        if match is None or match.group(1) != name:
            continue
        got = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
        if got == wanted:
            return float(match.group(3))
    return 0.0


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_operations_archive_requests_cache_and_baskets_are_counted(
    dachs: str, client: httpx.AsyncClient
) -> None:
    await graphql_data(client, "query Listing { archives { id } }")
    first = await run_query(client, "esap-sources", CONE)
    again = await run_query(client, "esap-sources", CONE)
    assert first["error"] is None
    assert again["fromCache"] is True
    await graphql(client, "query Broken { nosuchfield }")
    await graphql_data(
        client,
        'mutation Keep { addToBasket(items: [{dataset: "esap-sources", recordId: "r1"}]) '
        "{ __typename } }",
    )
    page = await scrape(client)

    assert sample(page, "esap_graphql_operations_total", operation="Listing", type="query") == 1
    assert sample(page, "esap_graphql_operations_total", operation="Q", type="query") == 2
    assert sample(page, "esap_graphql_operation_seconds_count", operation="Q", type="query") == 2
    assert (
        sample(page, "esap_graphql_operation_errors_total", operation="Broken", type="query") == 1
    )
    assert sample(page, "esap_graphql_operations_total", operation="Keep", type="mutation") == 1
    # the one request that reached DaCHS, labelled with the dataset it served
    assert (
        sample(page, "esap_archive_request_seconds_count", dataset="esap-sources", status="200")
        == 1
    )
    assert sample(page, "esap_archive_received_bytes_total", dataset="esap-sources") > 100
    assert sample(page, "esap_result_cache_lookups_total", result="miss") == 1
    assert sample(page, "esap_result_cache_lookups_total", result="hit") == 1
    assert sample(page, "esap_basket_writes_total", operation="add") == 1
    assert sample(page, "esap_basket_written_items_total", operation="add") == 1
    # every answer read was given back to the budget
    assert "esap_archive_answer_bytes_in_flight 0.0" in page


async def test_a_failing_archive_is_counted_with_its_status(
    dachs: str, client: httpx.AsyncClient
) -> None:
    result = await run_query(client, "dead-tap", CONE)
    assert result["error"] is not None
    page = await scrape(client)
    failed = [
        line
        for line in page.splitlines()
        if line.startswith('esap_archive_request_seconds_count{dataset="dead-tap"')
    ]
    assert failed, page
    assert 'status="200"' not in failed[0]


async def test_jobs_and_heartbeats_are_counted(settings: Settings, dachs: str) -> None:
    settings = settings.model_copy(update={"job_maintenance_interval": 0.2})
    app = create_app(settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
        ) as client,
    ):
        created = await graphql_data(
            client,
            'mutation { createJob(type: "test.sleep", parameters: {seconds: 0}, run: true) '
            "{ ... on Job { id } } }",
        )
        job_id = created["createJob"]["id"]
        async with asyncio.timeout(20):
            while True:
                job = await graphql_data(
                    client, "query($id: ID!) { job(id: $id) { phase } }", {"id": job_id}
                )
                if job["job"]["phase"] == "COMPLETED":
                    break
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # a maintenance round counts the jobs waiting
        page = await scrape(client)
    assert sample(page, "esap_worker_heartbeats_total") >= 1
    assert sample(page, "esap_worker_last_heartbeat_timestamp_seconds") > 1.7e9
    for phase in ("QUEUED", "EXECUTING", "COMPLETED"):
        assert sample(page, "esap_job_phase_changes_total", type="test.sleep", phase=phase) == 1
    assert 'esap_jobs{phase="QUEUED",type="test.sleep"} 0.0' in page


async def test_metrics_can_be_turned_off(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"metrics": False}))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
        ) as client,
    ):
        assert (await client.get("/metrics")).status_code == 404
        await graphql_data(client, "{ archives { id } }")


def test_operation_names_from_clients_are_bounded() -> None:
    metrics = PrometheusMetrics()
    for n in range(300):
        metrics.operation(f"op{n}", "query", 0.01, 0)
    page = metrics.render()[0].decode()
    assert sample(page, "esap_graphql_operations_total", operation="other", type="query") == 100
    assert sample(page, "esap_graphql_operations_total", operation="op199", type="query") == 1
