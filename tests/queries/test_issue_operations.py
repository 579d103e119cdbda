"""The operations from issue 2, as written (with a dataset id of the test catalogue)."""

from __future__ import annotations

import httpx
import pytest

from tests.support import graphql_data

pytestmark = [pytest.mark.dachs, pytest.mark.usefixtures("dachs")]

DATASET = "esap-obscore"  # stands in for the apertif-dr1

ARCHIVES = "{ archives { id name datasets { id name protocol } } }"
FORM_AND_TABLES = (
    '{ dataset(id: "DATASET") { queryFields { name } tables { name columns { name unit ucd } } } }'
)
QUERY = """{ dataset(id: "DATASET") {
    query(params: {ra: 200.0, dec: 50.0, radius: 5.0}, page: 1, pageSize: 50) {
      totalCount nativeQuery
rows { id title ra dec fov dataproductType calibrationLevel collection sizeBytes accessUrl fields }
      error { __typename message } } } }"""


async def test_list_archives(client: httpx.AsyncClient) -> None:
    data = await graphql_data(client, ARCHIVES)
    archives = {a["id"]: a for a in data["archives"]}
    assert list(archives) == ["esap-test", "broken"]
    assert archives["esap-test"]["name"] == "ESAP test archive (local DaCHS)"
    datasets = {d["id"]: d["protocol"] for d in archives["esap-test"]["datasets"]}
    assert datasets == {
        "esap-obscore": "TAP",
        "esap-images": "TAP",
        "esap-cubes": "TAP",
        "esap-sources-tap": "TAP",
        "esap-sources": "SCS",
        "esap-sia": "SIA",
    }
    assert all(d["name"] for d in archives["esap-test"]["datasets"])


async def test_query_form_and_tables(client: httpx.AsyncClient) -> None:
    data = await graphql_data(client, FORM_AND_TABLES.replace("DATASET", DATASET))
    dataset = data["dataset"]
    assert [f["name"] for f in dataset["queryFields"]] == [
        "ra",
        "dec",
        "radius",
        "target",
        "collection",
        "calibrationLevel",
        "dataproductType",
    ]
    tables = {t["name"]: t["columns"] for t in dataset["tables"]}
    s_ra = next(c for c in tables["ivoa.obscore"] if c["name"] == "s_ra")
    assert s_ra == {"name": "s_ra", "unit": "deg", "ucd": "pos.eq.ra"}


async def test_query_one_dataset(client: httpx.AsyncClient) -> None:
    data = await graphql_data(client, QUERY.replace("DATASET", DATASET))
    result = data["dataset"]["query"]
    assert result["error"] is None
    assert result["totalCount"] == 210  # (200, 50) r=5: every product of that field
    assert result["nativeQuery"] == (
        "SELECT * FROM ivoa.obscore WHERE CONTAINS(POINT('ICRS', s_ra, s_dec), "
        "CIRCLE('ICRS', 200.0, 50.0, 5.0)) = 1"
    )
    rows = result["rows"]
    assert len(rows) == 50
    assert len({r["id"] for r in rows}) == 50
    for row in rows:
        assert row["id"].startswith("ivo://esap.test/")
        assert row["collection"] in {"esaptest-images", "esaptest-cubes"}
        assert row["dataproductType"] in {"image", "cube"}
        assert row["calibrationLevel"] in {2, 3}
        assert row["sizeBytes"] == row["fields"]["access_estsize"] * 1000
        assert row["accessUrl"] == row["fields"]["access_url"]
        assert (row["ra"], row["dec"]) == (row["fields"]["s_ra"], row["fields"]["s_dec"])
        assert abs(row["dec"] - 50.0) <= 3.0
        assert row["fov"] > 0
        assert row["title"]
