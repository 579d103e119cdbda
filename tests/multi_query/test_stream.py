"""The multi-query stream over a real WebSocket (graphql-transport-ws) to a real uvicorn server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from tests.multi_query.conftest import proxy_catalogue
from tests.servers import DachsProxy, Fault, serve_in_thread

pytestmark = pytest.mark.dachs

STREAM_DOCUMENT = """
    subscription($datasets: [ID!]) {
      multiQueryStream(datasets: $datasets, params: {ra: 200, dec: 50, radius: 2}, pageSize: 3) {
        kind completed total
        result { datasetId status totalCount rows { id } error { __typename } }
        summary { datasets succeeded failed totalCount elapsedMs }
        error { __typename message }
      }
    }
"""


@pytest.fixture
def gateway_url(proxy: tuple[DachsProxy, str], tmp_path: Path) -> Iterator[str]:
    """A real uvicorn server running the gateway over the proxied datasets."""
    _, base = proxy
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(proxy_catalogue(base, timeout=5.0), encoding="utf-8")
    settings = Settings(config=catalogue, data_dir=tmp_path / "data")
    with serve_in_thread(create_app(settings)) as url:
        yield url


async def collect(url: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    transport = WebsocketsTransport(
        url=url.replace("http://", "ws://") + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    request = GraphQLRequest(STREAM_DOCUMENT, variable_values=variables)
    events = []
    async with Client(transport=transport) as session:
        async for event in session.subscribe(request):
            events.append(event["multiQueryStream"])
    return events


async def test_results_arrive_fastest_first_then_a_summary(
    gateway_url: str, proxy: tuple[DachsProxy, str]
) -> None:
    faults, _ = proxy
    faults.faults["slow"] = Fault(delay=1.5)
    faults.faults["failing"] = Fault(status=500, body=b"no")
    events = await collect(gateway_url, {"datasets": ["slow", "images", "failing", "sources"]})
    kinds = [e["kind"] for e in events]
    assert kinds == ["RESULT"] * 4 + ["DONE"]
    assert [e["completed"] for e in events] == [1, 2, 3, 4, 4]
    assert all(e["total"] == 4 for e in events)
    arrival = [e["result"]["datasetId"] for e in events[:4]]
    assert arrival[-1] == "slow"  # the slow archive does not hold the others back
    assert set(arrival) == {"slow", "images", "failing", "sources"}
    results = {e["result"]["datasetId"]: e["result"] for e in events[:4]}
    assert results["images"]["totalCount"] == 51
    assert results["sources"]["totalCount"] == 300
    assert results["slow"]["status"] == "OK"
    assert results["failing"]["error"]["__typename"] == "ArchiveFailure"
    summary = events[-1]["summary"]
    assert summary["datasets"] == 4
    assert summary["succeeded"] == 3
    assert summary["failed"] == 1
    assert summary["totalCount"] == 51 + 300 + 51
    assert summary["elapsedMs"] >= 1500


async def test_a_refused_selection_ends_the_stream_with_a_typed_error(gateway_url: str) -> None:
    events = await collect(gateway_url, {"datasets": [f"d{i}" for i in range(201)]})
    assert len(events) == 1
    assert events[0]["kind"] == "DONE"
    assert events[0]["error"]["__typename"] == "InvalidParameter"
