"""The data lake through GraphQL: a Rucio dataset next to DaCHS ones, on the real servers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.data_lake.conftest import OpenGateway
from tests.rucio_server import DISK_RSE, LOFAR_FILES, WEB_RSE
from tests.support import graphql, graphql_data

pytestmark = [pytest.mark.rucio, pytest.mark.dachs]

QUERY = """
query Q($id: ID!, $params: QueryParamsInput!, $page: Int!, $size: Int!) {
  dataset(id: $id) {
    protocol
    queryFields { name label type default required }
    query(params: $params, page: $page, pageSize: $size) {
      status totalCount hasNextPage fromCache nativeQuery
      rows { id title collection sizeBytes accessUrl fields }
      table
      error { __typename code message }
    }
  }
}
"""
MULTI = """
query M($datasets: [ID!], $params: QueryParamsInput!) {
  multiQuery(datasets: $datasets, params: $params, pageSize: 3) {
    results { datasetId status totalCount rows { id accessUrl }
              error { __typename code message ... on UnsupportedParameter { parameter } } }
  }
}
"""
ADD = """
mutation A($items: [BasketItemInput!]!) {
  addToBasket(items: $items) { __typename ... on BasketItemsAdded { added } ... on Error { code } }
}
"""
LAKE = """
query L($id: ID!) {
  dataLake(dataset: $id) { rucioHost authHost account authType defaultScope scopes
                           dataset { id protocol } }
}
"""


async def query(
    client: httpx.AsyncClient, params: dict[str, Any], *, page: int = 1, size: int = 50
) -> dict[str, Any]:
    data = await graphql_data(
        client, QUERY, {"id": "rucio-lake", "params": params, "page": page, "size": size}
    )
    dataset: dict[str, Any] = data["dataset"]
    return dataset


async def test_a_rucio_dataset_pages_caches_and_describes_its_form(
    open_lake_gateway: OpenGateway,
) -> None:
    client = await open_lake_gateway()
    params = {"collection": "lofar", "target": "L700123_SB*"}
    first = await query(client, params, page=1, size=4)
    assert first["protocol"] == "RUCIO"
    assert [(f["name"], f["label"], f["default"]) for f in first["queryFields"]] == [
        ("collection", "Scope", "lofar"),
        ("target", "Name pattern", "*"),
    ]
    result = first["query"]
    assert result["error"] is None
    assert (result["status"], result["totalCount"], result["hasNextPage"]) == ("OK", 6, True)
    assert result["fromCache"] is False
    assert "/dids/lofar/dids/search?" in result["nativeQuery"]
    row = result["rows"][0]
    seeded = LOFAR_FILES[0]
    assert row["id"] == f"lofar:{seeded.name}"
    assert (row["title"], row["collection"], row["sizeBytes"]) == (seeded.name, "lofar", 800)
    assert row["accessUrl"] == f"file://localhost{seeded.path}"
    assert row["fields"]["adler32"] == seeded.adler32
    assert {r["rse"] for r in row["fields"]["replicas"]} == {DISK_RSE, WEB_RSE}
    assert result["table"]["columns"][:3] == ["scope", "name", "did_type"]

    second = (await query(client, params, page=2, size=4))["query"]
    assert second["fromCache"] is True  # one Rucio search served both pages
    assert [r["id"] for r in second["rows"]] == [f"lofar:{f.name}" for f in LOFAR_FILES[4:]]
    assert second["hasNextPage"] is False


async def test_a_rucio_row_goes_to_the_basket(open_lake_gateway: OpenGateway) -> None:
    client = await open_lake_gateway()
    row = (await query(client, {"target": LOFAR_FILES[2].name}, page=1, size=1))["query"]["rows"][0]
    item = {
        "dataset": "rucio-lake",
        "recordId": row["id"],
        "title": row["title"],
        "accessUrl": row["accessUrl"],
        "sizeBytes": row["sizeBytes"],
        "record": row["fields"],
    }
    added = await graphql_data(client, ADD, {"items": [item]})
    assert added["addToBasket"] == {"__typename": "BasketItemsAdded", "added": 1}
    data = await graphql_data(
        client,
        "{ basket { count items { recordId accessUrl sizeBytes record"
        " dataset { id protocol } datasetAvailable } } }",
    )
    (stored,) = data["basket"]["items"]
    assert stored["recordId"] == f"lofar:{LOFAR_FILES[2].name}"
    assert stored["dataset"] == {"id": "rucio-lake", "protocol": "RUCIO"}
    assert stored["datasetAvailable"] is True
    assert stored["accessUrl"] == row["accessUrl"]
    assert stored["record"]["md5"] == LOFAR_FILES[2].md5
    exported = await client.get("/baskets/default/export.csv")
    assert exported.status_code == 200
    assert f"lofar:{LOFAR_FILES[2].name}" in exported.text


async def test_a_multi_query_joins_the_data_lake_and_dachs(
    open_lake_gateway: OpenGateway, dachs: str
) -> None:
    client = await open_lake_gateway()
    data = await graphql_data(
        client,
        MULTI,
        {"datasets": ["rucio-lake", "esap-obscore"], "params": {"collection": "lofar"}},
    )
    results = {r["datasetId"]: r for r in data["multiQuery"]["results"]}
    lake = results["rucio-lake"]
    assert (lake["status"], lake["error"]) == ("OK", None)
    assert lake["totalCount"] == 7  # six files and the dataset holding three of them
    assert results["esap-obscore"]["status"] == "OK"
    assert results["esap-obscore"]["totalCount"] == 0  # DaCHS has no collection "lofar"

    cone = await graphql_data(
        client,
        MULTI,
        {
            "datasets": ["rucio-lake", "esap-obscore"],
            "params": {"ra": 200.0, "dec": 50.0, "radius": 2.0},
        },
    )
    results = {r["datasetId"]: r for r in cone["multiQuery"]["results"]}
    assert results["esap-obscore"]["status"] == "OK"
    assert results["esap-obscore"]["totalCount"] > 0
    assert results["rucio-lake"]["status"] == "ERROR"
    assert results["rucio-lake"]["error"]["__typename"] == "UnsupportedParameter"
    assert results["rucio-lake"]["error"]["parameter"] == "ra"


async def test_wrong_credentials_are_a_typed_error_of_their_dataset(
    open_lake_gateway: OpenGateway,
) -> None:
    client = await open_lake_gateway()
    data = await graphql_data(
        client,
        """{ dataset(id: "rucio-wrong-password") {
               query(params: {}) { status rows { id } error { __typename code message } } } }""",
    )
    result = data["dataset"]["query"]
    assert result["status"] == "ERROR"
    assert result["error"]["__typename"] == "ArchiveFailure"
    assert result["error"]["code"] == "archive_authentication_failed"
    assert "authentication failed" in result["error"]["message"]
    assert "not-the-password" not in result["error"]["message"]


async def test_scopes_are_browsed_through_the_data_lake(open_lake_gateway: OpenGateway) -> None:
    client = await open_lake_gateway()
    data = await graphql_data(client, LAKE, {"id": "rucio-lake"})
    lake = data["dataLake"]
    assert {"apertif", "lofar"} <= set(lake["scopes"])
    assert lake["rucioHost"] == lake["authHost"]
    assert (lake["account"], lake["authType"], lake["defaultScope"]) == (
        "root",
        "userpass",
        "lofar",
    )
    assert lake["dataset"] == {"id": "rucio-lake", "protocol": "RUCIO"}

    assert (await graphql_data(client, LAKE, {"id": "no-such-dataset"}))["dataLake"] is None
    other = await graphql(client, LAKE, {"id": "esap-obscore"})
    (error,) = other["errors"]
    assert error["extensions"]["code"] == "invalid_parameter"
    assert "is not a Rucio data lake" in error["message"]

    failing = await graphql(client, LAKE, {"id": "rucio-wrong-password"})
    (error,) = failing["errors"]
    assert error["extensions"]["code"] == "archive_authentication_failed"
