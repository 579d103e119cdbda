"""GraphQL documents and helpers shared by the integration tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import graphql_data

QUERY = """
query Q($id: ID!, $params: QueryParamsInput!, $page: Int! = 1, $size: Int! = 50) {
  dataset(id: $id) {
    query(params: $params, page: $page, pageSize: $size) {
      status totalCount page pageSize hasNextPage nativeQuery fromCache
      rows {
        id title target ra dec fov dataproductType calibrationLevel collection
        sizeBytes accessUrl accessFormat thumbnailUrl
      }
      error { __typename code message }
    }
  }
}
"""

COUNT = """
query C($id: ID!, $params: QueryParamsInput!) {
  dataset(id: $id) {
    query(params: $params, pageSize: 1) { status totalCount error { __typename message } }
  }
}
"""


async def run_query(
    client: httpx.AsyncClient,
    dataset_id: str,
    params: dict[str, Any],
    *,
    page: int = 1,
    size: int = 50,
) -> dict[str, Any]:
    """The ``query`` field of one dataset query."""
    data = await graphql_data(
        client, QUERY, {"id": dataset_id, "params": params, "page": page, "size": size}
    )
    result: dict[str, Any] = data["dataset"]["query"]
    return result


async def count(client: httpx.AsyncClient, dataset_id: str, params: dict[str, Any]) -> int:
    """totalCount of a query that must succeed."""
    data = await graphql_data(client, COUNT, {"id": dataset_id, "params": params})
    result = data["dataset"]["query"]
    assert result["error"] is None, result["error"]
    total: int = result["totalCount"]
    return total


def positions(rows: list[dict[str, Any]], id_key: str = "id") -> dict[str, tuple[float, float]]:
    """id -> (ra, dec), rounded to 1e-9 deg."""
    return {str(r[id_key]): (round(float(r["ra"]), 9), round(float(r["dec"]), 9)) for r in rows}
