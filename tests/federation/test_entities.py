"""The subgraph endpoint in-process: _service, _entities for the caller, typed errors as data."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.factory import gateway_context
from tests.federation.conftest import ROOT
from tests.oidc_issuer import AUDIENCE, Issuer, running_issuer
from tests.support import DACHS_CATALOGUE

ENTITIES = """query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Archive { id name datasets { id } }
    ... on Dataset { id name protocol archive { id } }
    ... on Job { id type phase owner }
    ... on BasketItem { id basket recordId datasetAvailable dataset { id name } }
  }
}"""
ADD = """mutation { addToBasket(basket: "fed", items: [
  {dataset: "esap-images", recordId: "ivo://test/img?1", title: "one"},
  {dataset: "esap-cubes", recordId: "ivo://test/cube?2"}]) {
    ... on BasketItemsAdded { items { id recordId } } } }"""
CREATE_JOB = """mutation { createJob(type: "test.sleep", parameters: {seconds: 0}) {
  __typename ... on Job { id phase } ... on Error { code } } }"""


async def post(
    client: httpx.AsyncClient, path: str, query: str, variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    response = await client.post(
        path, json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def entities(
    client: httpx.AsyncClient,
    *representations: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    return await post(
        client, "/subgraph/graphql", ENTITIES, {"representations": list(representations)}, headers
    )


async def test_service_sdl_is_the_committed_subgraph(client: httpx.AsyncClient) -> None:
    body = await post(client, "/subgraph/graphql", "{ _service { sdl } }")
    expected = (ROOT / "schema.subgraph.graphql").read_text(encoding="utf-8")
    assert body["data"]["_service"]["sdl"] + "\n" == expected


async def test_standalone_endpoint_has_no_federation_fields(client: httpx.AsyncClient) -> None:
    body = await post(client, "/graphql", "{ _service { sdl } }")
    assert body["errors"][0]["message"] == "Cannot query field '_service' on type 'Query'."


async def test_catalogue_entities_by_id_in_order_with_null_for_unknown(
    client: httpx.AsyncClient,
) -> None:
    body = await entities(
        client,
        {"__typename": "Dataset", "id": "esap-sources"},
        {"__typename": "Archive", "id": "broken"},
        {"__typename": "Dataset", "id": "no-such-dataset"},
        {"__typename": "Archive", "id": "esap-test"},
    )
    assert "errors" not in body
    assert body["data"]["_entities"] == [
        {"__typename": "Dataset", "id": "esap-sources", "name": "Test sources (cone search)",
         "protocol": "SCS", "archive": {"id": "esap-test"}},
        {"__typename": "Archive", "id": "broken", "name": "Broken archive",
         "datasets": [{"id": "dead-tap"}]},
        None,
        {"__typename": "Archive", "id": "esap-test", "name": "ESAP test archive (local DaCHS)",
         "datasets": [{"id": i} for i in ("esap-obscore", "esap-images", "esap-cubes",
                                          "esap-sources-tap", "esap-sources", "esap-sia")]},
    ]  # fmt: skip


async def test_a_bad_representation_is_a_typed_error_at_its_index(
    client: httpx.AsyncClient,
) -> None:
    body = await entities(
        client,
        {"__typename": "Dataset", "id": "esap-images"},
        {"__typename": "Publication", "id": "x"},
        {"__typename": "Job"},
    )
    assert body["data"]["_entities"][0]["id"] == "esap-images"
    assert body["data"]["_entities"][1:] == [None, None]
    errors = {tuple(e["path"]): e for e in body["errors"]}
    assert set(errors) == {("_entities", 1), ("_entities", 2)}
    assert errors[("_entities", 1)]["extensions"]["code"] == "invalid_parameter"
    assert "'Publication' is not an entity" in errors[("_entities", 1)]["message"]
    assert "a Job is looked up by its id" in errors[("_entities", 2)]["message"]


async def test_jobs_and_basket_items_resolve_for_the_caller(client: httpx.AsyncClient) -> None:
    # mutations through the subgraph: its union results (CreateJobPayload) resolve as usual
    job = (await post(client, "/subgraph/graphql", CREATE_JOB))["data"]["createJob"]
    assert job["__typename"] == "Job"
    items = (await post(client, "/subgraph/graphql", ADD))["data"]["addToBasket"]["items"]
    body = await entities(
        client,
        {"__typename": "BasketItem", "id": items[1]["id"]},
        {"__typename": "Job", "id": job["id"]},
        {"__typename": "BasketItem", "id": "999999"},
        {"__typename": "Job", "id": "no-such-job"},
        {"__typename": "BasketItem", "id": items[0]["id"]},
    )
    assert "errors" not in body
    found = body["data"]["_entities"]
    assert found[0] == {
        "__typename": "BasketItem", "id": items[1]["id"], "basket": "fed",
        "recordId": "ivo://test/cube?2", "datasetAvailable": True,
        "dataset": {"id": "esap-cubes", "name": "Test cubes"},
    }  # fmt: skip
    assert found[1] == {"__typename": "Job", "id": job["id"], "type": "test.sleep",
                        "phase": "PENDING", "owner": "local"}  # fmt: skip
    assert found[2] is None
    assert found[3] is None
    assert found[4]["recordId"] == "ivo://test/img?1"


async def test_errors_as_data_through_the_subgraph(client: httpx.AsyncClient) -> None:
    query = """{ dataset(id: "dead-tap") { query(params: {ra: 10, dec: 10, radius: 1}) {
        status error { __typename code ... on ArchiveUnreachable { url } } } } }"""
    body = await post(client, "/subgraph/graphql", query)
    result = body["data"]["dataset"]["query"]
    assert result["status"] == "ERROR"
    assert result["error"]["__typename"] == "ArchiveUnreachable"
    assert result["error"]["url"].startswith("http://127.0.0.1:9/tap")


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


@pytest.fixture
async def signed_in(tmp_path: Path, issuer: Issuer) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        config=DACHS_CATALOGUE, data_dir=tmp_path / "data", oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
    )  # fmt: skip
    ctx = await gateway_context(settings)
    try:
        async with (
            LifespanManager(create_app(settings, process=ctx)) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as http,
        ):
            yield http
    finally:
        await ctx.aclose()


async def test_with_sign_in_each_caller_resolves_only_their_own(
    signed_in: httpx.AsyncClient, issuer: Issuer
) -> None:
    anonymous = await signed_in.post("/subgraph/graphql", json={"query": "{ archives { id } }"})
    assert anonymous.status_code == 401
    alice, bob = issuer.bearer("alice"), issuer.bearer("bob")
    job = (await post(signed_in, "/subgraph/graphql", CREATE_JOB, headers=alice))["data"]
    items = (await post(signed_in, "/subgraph/graphql", ADD, headers=alice))["data"]
    representations = [
        {"__typename": "Job", "id": job["createJob"]["id"]},
        {"__typename": "BasketItem", "id": items["addToBasket"]["items"][0]["id"]},
        {"__typename": "Dataset", "id": "esap-images"},
    ]
    as_alice = (await entities(signed_in, *representations, headers=alice))["data"]["_entities"]
    assert [e["__typename"] if e else None for e in as_alice] == ["Job", "BasketItem", "Dataset"]
    as_bob = (await entities(signed_in, *representations, headers=bob))["data"]["_entities"]
    assert as_bob[:2] == [None, None]  # alice's job and item do not exist for bob
    assert as_bob[2]["id"] == "esap-images"  # the catalogue is everyone's
