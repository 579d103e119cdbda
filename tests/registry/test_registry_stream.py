"""Registry services in the multi-query stream, over a real WebSocket to a real uvicorn server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.factory import Factory
from tests.registry.conftest import DACHS_OAI, REGISTRY_CATALOGUE, RegTapReplay
from tests.servers import serve_in_thread

SIA2 = "ivo://esap.test/__system__/siap2/sitewide"
STREAM = """
    subscription($ids: [String!]) {
      multiQueryStream(datasets: [], registryServices: $ids,
                       params: {ra: 200, dec: 50, radius: 0.5}, pageSize: 3) {
        kind completed total
        result { datasetId status totalCount rows { id } error { __typename } }
        summary { datasets succeeded failed totalCount }
      }
    }
"""


async def test_registry_services_in_the_stream(
    tmp_path: Path, regtap: RegTapReplay, dachs_registry: str
) -> None:
    settings = Settings(
        config=REGISTRY_CATALOGUE,
        data_dir=tmp_path / "data",
        regtap_url=regtap.url,
        registry_allow_private_urls=True,
    )
    factory = Factory(settings)
    try:  # what `esap-graphql harvest` does, into the database the server then reads
        report = await (await factory.harvests()).harvest(DACHS_OAI)
    finally:
        await factory.aclose()
    assert report.error is None
    with serve_in_thread(create_app(settings)) as url:
        transport = WebsocketsTransport(
            url=url.replace("http://", "ws://") + "/graphql",
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        )
        events: list[dict[str, Any]] = []
        request = GraphQLRequest(STREAM, variable_values={"ids": [SIA2, "ivo://nowhere.test/x"]})
        async with Client(transport=transport) as session:
            async for event in session.subscribe(request):
                events.append(event["multiQueryStream"])
    results = {e["result"]["datasetId"]: e["result"] for e in events if e["kind"] == "RESULT"}
    assert results[SIA2]["totalCount"] == 15  # SIAv2 overlap, deploy/dachs/README.md
    assert len(results[SIA2]["rows"]) == 3
    assert results["ivo://nowhere.test/x"]["error"]["__typename"] == "UnknownRegistryService"
    assert events[-1]["kind"] == "DONE"
    assert events[-1]["summary"]["datasets"] == 2
    assert events[-1]["summary"]["failed"] == 1
