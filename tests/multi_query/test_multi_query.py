"""Multi-query over real DaCHS datasets, some behind a slow, failing or broken proxy route."""

from __future__ import annotations

import httpx
import pytest

from tests.servers import DachsProxy, Fault
from tests.support import graphql, graphql_data, ids

pytestmark = pytest.mark.dachs

MULTI = """
query($datasets: [ID!], $ra: Float, $dec: Float, $radius: Float, $pageSize: Int) {
  multiQuery(datasets: $datasets, params: {ra: $ra, dec: $dec, radius: $radius},
             pageSize: $pageSize) {
    elapsedMs
    error { __typename message }
    results { datasetId dataset { id archive { name } } status totalCount elapsedMs fromCache
              rows { id ra dec accessUrl } error { __typename message } }
  }
}
"""
SINGLE = """
query($id: ID!, $ra: Float, $dec: Float, $radius: Float, $pageSize: Int) {
  dataset(id: $id) { query(params: {ra: $ra, dec: $dec, radius: $radius}, pageSize: $pageSize) {
    status totalCount rows { id } } }
}
"""
CONE = {"ra": 200.0, "dec": 50.0, "radius": 2.0}


def by_id(results: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(r["datasetId"]): r for r in results}


async def test_every_dataset_answers_on_its_own_with_documented_counts(
    proxied_client: httpx.AsyncClient,
) -> None:
    data = await graphql_data(
        proxied_client,
        MULTI,
        {"datasets": ["images", "cubes", "sources", "sia"], **CONE, "pageSize": 500},
    )
    results = by_id(data["multiQuery"]["results"])
    assert [r["datasetId"] for r in data["multiQuery"]["results"]] == [
        "images",
        "cubes",
        "sources",
        "sia",
    ]
    # deploy/dachs/README.md: (200, 50) r=2 holds 51 images, 28 cubes and 300 sources
    assert results["images"]["totalCount"] == 51
    assert results["cubes"]["totalCount"] == 28
    assert results["sources"]["totalCount"] == 300
    assert all(r["status"] == "OK" and r["error"] is None for r in results.values())
    assert results["images"]["dataset"] == {
        "id": "images",
        "archive": {"name": "Proxied DaCHS"},
    }


async def test_results_equal_the_single_dataset_queries(
    proxied_client: httpx.AsyncClient,
) -> None:
    multi = await graphql_data(
        proxied_client, MULTI, {"datasets": ["images", "sources"], **CONE, "pageSize": 500}
    )
    for result in multi["multiQuery"]["results"]:
        single = await graphql_data(
            proxied_client, SINGLE, {"id": result["datasetId"], **CONE, "pageSize": 500}
        )
        query = single["dataset"]["query"]
        assert query["totalCount"] == result["totalCount"]
        assert ids(query["rows"]) == ids(result["rows"])


async def test_failing_slow_and_broken_archives_do_not_spoil_the_others(
    proxied_client: httpx.AsyncClient, proxy: tuple[DachsProxy, str]
) -> None:
    faults, _ = proxy
    clean = await graphql_data(
        proxied_client, MULTI, {"datasets": ["images", "sources"], **CONE, "pageSize": 500}
    )
    faults.faults["slow"] = Fault(delay=6.0)  # beyond the 3 s dataset timeout
    faults.faults["failing"] = Fault(status=503, body=b"<html>Service Unavailable</html>")
    faults.faults["garbage"] = Fault(body=b"<VOTABLE><RESOURCE><TABLE><DATA>oops")
    mixed = await graphql_data(
        proxied_client,
        MULTI,
        {
            "datasets": ["slow", "images", "failing", "sources", "garbage", "missing"],
            **CONE,
            "pageSize": 500,
        },
    )
    results = by_id(mixed["multiQuery"]["results"])
    assert results["slow"]["status"] == "TIMEOUT"
    assert results["slow"]["error"]["__typename"] == "ArchiveTimeout"
    assert results["failing"]["status"] == "ERROR"
    assert results["failing"]["error"]["__typename"] == "ArchiveFailure"
    assert "503" in results["failing"]["error"]["message"]
    assert results["garbage"]["error"]["__typename"] == "MalformedResponse"
    assert results["missing"]["error"]["__typename"] == "UnknownDataset"
    assert results["missing"]["dataset"] is None
    for good in clean["multiQuery"]["results"]:
        same = results[good["datasetId"]]
        assert same["status"] == "OK"
        assert same["totalCount"] == good["totalCount"]
        assert same["rows"] == good["rows"]


async def test_same_query_five_times_in_one_document_reaches_the_archive_once(
    proxied_client: httpx.AsyncClient, proxy: tuple[DachsProxy, str]
) -> None:
    faults, _ = proxy
    document = """
    fragment R on QueryResult { totalCount rows { id } }
    query {
      a: dataset(id: "images") { query(params: {ra: 200, dec: 50, radius: 2}) { ...R } }
      b: dataset(id: "images") { query(params: {ra: 200, dec: 50, radius: 2}) { ...R } }
      c: dataset(id: "images") { q2: query(params: {ra: 200.0, dec: 50.0, radius: 2.0}) { ...R } }
      d: multiQuery(datasets: ["images"], params: {ra: 200, dec: 50, radius: 2}, pageSize: 50) {
        results { ...R } }
      e: multiQuery(datasets: ["images", "images"], params: {ra: 200, dec: 50, radius: 2},
                    page: 2, pageSize: 10) { results { ...R } }
    }
    """
    data = await graphql_data(proxied_client, document)
    assert faults.count("images") == 1
    assert data["a"]["query"]["totalCount"] == 51
    assert data["a"] == data["b"]
    assert data["c"]["q2"] == data["a"]["query"]
    assert len(data["e"]["results"]) == 1  # duplicate ids are asked once
    page2 = data["e"]["results"][0]["rows"]
    assert len(page2) == 10
    assert not set(ids(page2)) & set(ids(data["a"]["query"]["rows"][:10]))


async def test_repeated_multi_query_is_served_from_the_cache(
    proxied_client: httpx.AsyncClient, proxy: tuple[DachsProxy, str]
) -> None:
    faults, _ = proxy
    variables = {"datasets": ["images", "cubes", "sources"], **CONE, "pageSize": 5}
    first = await graphql_data(proxied_client, MULTI, variables)
    upstream = len(faults.requests)
    second = await graphql_data(proxied_client, MULTI, variables)
    assert len(faults.requests) == upstream == 3
    assert [r["fromCache"] for r in first["multiQuery"]["results"]] == [False] * 3
    assert [r["fromCache"] for r in second["multiQuery"]["results"]] == [True] * 3
    assert [r["rows"] for r in second["multiQuery"]["results"]] == [
        r["rows"] for r in first["multiQuery"]["results"]
    ]


async def test_failures_are_not_cached(
    proxied_client: httpx.AsyncClient, proxy: tuple[DachsProxy, str]
) -> None:
    faults, _ = proxy
    faults.faults["images"] = Fault(status=500, body=b"boom")
    variables = {"datasets": ["images"], **CONE, "pageSize": 5}
    failed = await graphql_data(proxied_client, MULTI, variables)
    assert failed["multiQuery"]["results"][0]["status"] == "ERROR"
    del faults.faults["images"]
    recovered = await graphql_data(proxied_client, MULTI, variables)
    assert recovered["multiQuery"]["results"][0]["status"] == "OK"
    assert faults.count("images") == 2


async def test_no_service_gets_more_than_its_bound_of_parallel_requests(
    proxied_client: httpx.AsyncClient, proxy: tuple[DachsProxy, str]
) -> None:
    faults, _ = proxy
    faults.faults["images"] = Fault(delay=0.3)
    # six distinct queries to one service; the settings allow two at a time
    document = (
        "query {"
        + "".join(
            f' q{i}: dataset(id: "images") {{ query(params: {{ra: 200, dec: 50, radius: {r}}}) '
            "{ status totalCount } }"
            for i, r in enumerate([0.5, 1, 1.5, 2, 2.5, 3])
        )
        + "}"
    )
    data = await graphql_data(proxied_client, document)
    assert all(v["query"]["status"] == "OK" for v in data.values())
    assert faults.count("images") == 6
    assert faults.max_in_flight["images"] == 2


async def test_invalid_parameters_are_reported_per_dataset(
    proxied_client: httpx.AsyncClient, proxy: tuple[DachsProxy, str]
) -> None:
    faults, _ = proxy
    data = await graphql_data(
        proxied_client,
        MULTI,
        {"datasets": ["images", "sources"], "ra": 200.0, "dec": 95.0, "radius": 1.0},
    )
    errors = [r["error"] for r in data["multiQuery"]["results"]]
    assert [e["__typename"] for e in errors] == ["InvalidParameter", "InvalidParameter"]
    assert faults.requests == []


async def test_too_many_datasets_is_a_typed_error(proxied_client: httpx.AsyncClient) -> None:
    body = await graphql(
        proxied_client,
        "query($d: [ID!]) { multiQuery(datasets: $d, params: {ra: 1, dec: 1, radius: 1}) "
        "{ results { datasetId } error { __typename message } } }",
        {"d": [f"d{i}" for i in range(201)]},
    )
    result = body["data"]["multiQuery"]
    assert result["results"] == []
    assert result["error"]["__typename"] == "InvalidParameter"
    assert "at most 200" in result["error"]["message"]


async def test_default_selection_is_every_multi_query_dataset(
    proxied_client: httpx.AsyncClient,
) -> None:
    data = await graphql_data(
        proxied_client,
        "{ multiQuery(params: {ra: 150, dec: 2, radius: 0.5}, pageSize: 1) "
        "{ results { datasetId } } }",
    )
    assert [r["datasetId"] for r in data["multiQuery"]["results"]] == [
        "images",
        "cubes",
        "sources",
        "sia",
        "slow",
        "failing",
        "garbage",
    ]
