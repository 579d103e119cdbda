"""The shipped catalogue, with no internet: every archive answers with its own typed error.

The internet is the one edge that cannot run here, so the HTTP transport
refuses every connection the way a machine without a network does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.factory import gateway_context, protocol_connectors
from tests.support import graphql_data

ISSUE_DOCUMENT = """
{ multiQuery(datasets: ["apertif-dr1", "lotss-dr2"], params: {ra: 200.0, dec: 50.0, radius: 2.0},
             pageSize: 20) {
    elapsedMs
    results { dataset { id archive { name } } status totalCount elapsedMs
              rows { id ra dec accessUrl } error { __typename message } } } }
"""


def no_network(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)


@pytest.fixture
async def offline_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path)
    offline = httpx.AsyncClient(transport=httpx.MockTransport(no_network))
    ctx = await gateway_context(
        settings, connectors=protocol_connectors(ServiceClients.sharing(offline))
    )
    try:
        async with (
            LifespanManager(create_app(settings, process=ctx)) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as client,
        ):
            yield client
    finally:
        await ctx.aclose()
        await offline.aclose()


async def test_the_issue_document_as_written_reports_each_archive(
    offline_client: httpx.AsyncClient,
) -> None:
    data = await graphql_data(offline_client, ISSUE_DOCUMENT)
    results = data["multiQuery"]["results"]
    assert [r["dataset"]["id"] for r in results] == ["apertif-dr1", "lotss-dr2"]
    assert {r["dataset"]["archive"]["name"] for r in results} == {"ASTRON VO"}
    for result in results:
        assert result["status"] == "ERROR"
        assert result["totalCount"] is None
        assert result["rows"] == []
        assert result["error"]["__typename"] == "ArchiveUnreachable"
        assert "vo.astron.nl" in result["error"]["message"]


async def test_every_shipped_dataset_fails_on_its_own_and_the_gateway_keeps_serving(
    offline_client: httpx.AsyncClient,
) -> None:
    data = await graphql_data(
        offline_client,
        "{ archives { id datasets { id multiQuery } } "
        "  multiQuery(params: {ra: 10, dec: 10, radius: 0.1}) "
        "  { results { datasetId status error { __typename } } } }",
    )
    marked = [d["id"] for a in data["archives"] for d in a["datasets"] if d["multiQuery"]]
    results = data["multiQuery"]["results"]
    assert [r["datasetId"] for r in results] == marked
    assert len(marked) >= 6
    assert {r["error"]["__typename"] for r in results} == {"ArchiveUnreachable"}
    health = await offline_client.get("/health")
    assert health.json()["status"] == "ok"
