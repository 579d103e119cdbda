"""Target names through the gateway: ``resolve``, and a name standing for a cone on the real DaCHS.

Sesame is the local stand-in (tests/recorded_apis.py) replaying answers in its
documented XML; the first mirror configured refuses connections, the second is
down (HTTP 503), the third answers. DaCHS is the real local archive.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse, validate

from esap_graphql.schema import build_schema
from tests.queries.conftest import OpenGateway
from tests.queries.gateway_queries import run_query
from tests.recorded_apis import RecordedApis
from tests.support import graphql_data, ids

RESOLVE = """query($name: String!) { resolve(name: $name) {
  name ra dec resolver objectName fromCache
  error { __typename code message ... on NameNotResolved { name } } } }"""


def mirrors(url: str) -> str:
    return f"http://127.0.0.1:9/sesame,{url}/sesame/down,{url}/sesame/ok"


@pytest.fixture
async def gateway(
    open_gateway: OpenGateway, recorded_apis: RecordedApis, dachs: str
) -> httpx.AsyncClient:
    recorded_apis.clear()
    return await open_gateway(sesame_urls=mirrors(recorded_apis.url))


async def resolve(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    data = await graphql_data(client, RESOLVE, {"name": name})
    result: dict[str, Any] = data["resolve"]
    return result


async def test_resolve_a_name_then_from_the_cache(
    gateway: httpx.AsyncClient, recorded_apis: RecordedApis
) -> None:
    first = await resolve(gateway, "M 31")
    assert first == {
        "name": "M 31",
        "ra": 10.684708333,
        "dec": 41.26875,
        "resolver": "Simbad",
        "objectName": "M 31",
        "fromCache": False,
        "error": None,
    }
    again = await resolve(gateway, "M  31")
    assert again["fromCache"] is True
    assert (again["ra"], again["dec"]) == (first["ra"], first["dec"])
    # the mirrors in order, once: the refused one leaves no trace here
    assert [s.path for s in recorded_apis.requests("/sesame")] == [
        "/sesame/down/-oxp/SNV",
        "/sesame/ok/-oxp/SNV",
    ]


async def test_an_unknown_name_is_a_typed_error_and_cached(
    gateway: httpx.AsyncClient, recorded_apis: RecordedApis
) -> None:
    result = await resolve(gateway, "No Such Object 42")
    assert result["ra"] is None
    assert result["error"] == {
        "__typename": "NameNotResolved",
        "code": "name_not_resolved",
        "message": "no position is known for the name 'No Such Object 42'",
        "name": "No Such Object 42",
    }
    again = await resolve(gateway, "No Such Object 42")
    assert again["fromCache"] is True
    assert len(recorded_apis.requests("/sesame/ok")) == 1


async def test_bad_names_and_dead_resolvers(
    open_gateway: OpenGateway, gateway: httpx.AsyncClient, recorded_apis: RecordedApis
) -> None:
    empty = await resolve(gateway, "  ")
    assert empty["error"]["__typename"] == "InvalidParameter"
    dead = await open_gateway(
        sesame_urls=f"http://127.0.0.1:9/sesame,{recorded_apis.url}/sesame/down"
    )
    result = await resolve(dead, "M 31")
    assert result["error"]["__typename"] == "ArchiveUnreachable"
    assert "no Sesame mirror answered" in result["error"]["message"]


async def test_a_cone_search_by_name_on_the_real_dachs(gateway: httpx.AsyncClient) -> None:
    by_name = await run_query(
        gateway, "esap-sources", {"target": "ESAP Field A", "radius": 2.0}, size=1000
    )
    assert by_name["error"] is None
    assert by_name["totalCount"] == 300
    assert "RA=200.0&DEC=50.0&SR=2.0" in by_name["nativeQuery"]
    by_cone = await run_query(
        gateway, "esap-sources", {"ra": 200.0, "dec": 50.0, "radius": 2.0}, size=1000
    )
    assert ids(by_name["rows"]) == ids(by_cone["rows"])
    # without a radius: the default one (ESAP_TARGET_RADIUS, 0.1 deg)
    default = await run_query(gateway, "esap-sources", {"target": "ESAP Field A"}, size=1000)
    narrow = await run_query(
        gateway, "esap-sources", {"ra": 200.0, "dec": 50.0, "radius": 0.1}, size=1000
    )
    assert "SR=0.1" in default["nativeQuery"]
    assert ids(default["rows"]) == ids(narrow["rows"])


async def test_a_target_column_gets_the_name_itself(gateway: httpx.AsyncClient) -> None:
    result = await run_query(
        gateway, "esap-obscore", {"target": "ESAP Field A", "radius": 2.0}, size=1000
    )
    assert result["error"] is None
    assert result["totalCount"] > 0
    assert {r["target"] for r in result["rows"]} == {"ESAP Field A"}
    assert "target_name = 'ESAP Field A'" in result["nativeQuery"]
    assert "CIRCLE" not in result["nativeQuery"]


async def test_a_multi_query_by_name_resolves_it_once(
    gateway: httpx.AsyncClient, recorded_apis: RecordedApis
) -> None:
    data = await graphql_data(
        gateway,
        """{ multiQuery(datasets: ["esap-obscore", "esap-sources", "esap-sources-tap", "esap-sia"],
                        params: {target: "ESAP Field A", radius: 0.5}, pageSize: 5) {
             results { datasetId status totalCount nativeQuery
                       error { __typename message } } } }""",
    )
    results = {r["datasetId"]: r for r in data["multiQuery"]["results"]}
    assert {r["status"] for r in results.values()} == {"OK"}, results
    assert results["esap-sources"]["totalCount"] == 20  # the cone (200, 50) r = 0.5
    assert results["esap-sources-tap"]["totalCount"] == 20
    assert "TARGET=ESAP+Field+A" in results["esap-sia"]["nativeQuery"]
    assert len(recorded_apis.requests("/sesame/ok")) == 1


async def test_an_unknown_name_on_a_cone_search(gateway: httpx.AsyncClient) -> None:
    result = await run_query(gateway, "esap-sources", {"target": "No Such Object 42"})
    assert result["status"] == "ERROR"
    assert result["error"]["__typename"] == "NameNotResolved"
    assert result["rows"] == []


def test_the_readme_examples_are_valid_documents() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Target names")
    section = readme[start : readme.index("\n### ", start + 1)]
    [block] = re.findall(r"```graphql\n(.*?)```", section, flags=re.S)
    documents = [line for line in block.split("\n{") if line.strip()]
    assert len(documents) == 2
    schema = build_schema()._schema
    for document in documents:
        text = document if document.startswith("{") else "{" + document
        assert validate(schema, parse(text)) == []
