"""Cone search and SIA v2 through the gateway against the real DaCHS, compared with pyvo."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import httpx
import pytest
import pyvo

from tests.queries.conftest import OpenGateway
from tests.queries.gateway_queries import count, positions, run_query
from tests.support import SCS_URL, SIA_URL, graphql_data

pytestmark = [pytest.mark.dachs, pytest.mark.usefixtures("dachs")]


def pyvo_scs(ra: float, dec: float, radius: float, maxrec: int) -> list[dict[str, Any]]:
    table = (
        pyvo.dal.SCSService(SCS_URL)
        .search(pos=(ra, dec), radius=radius, verbosity=3, maxrec=maxrec)
        .to_table()
    )
    return [{"id": str(r["id"]), "ra": float(r["ra"]), "dec": float(r["dec"])} for r in table]


def pyvo_sia2(**search: Any) -> list[dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyvo does not know DaCHS's capability extensions
        table = pyvo.dal.SIA2Service(SIA_URL).search(**search).to_table()
    return [
        {
            "id": str(r["obs_publisher_did"]),
            "ra": float(r["s_ra"]),
            "dec": float(r["s_dec"]),
            "collection": str(r["obs_collection"]),
        }
        for r in table
    ]


@pytest.mark.parametrize(
    ("ra", "dec", "radius", "expected"),
    [
        (150.0, 2.0, 0.5, 2720),
        (150.0, 2.0, 2.0, 10_000),  # 11034 match: capped at max_records (overflow)
        (200.0, 50.0, 0.5, 20),
        (200.0, 50.0, 1.0, 76),
        (200.0, 50.0, 2.0, 300),
        (200.0, 50.0, 5.0, 300),
    ],
)
async def test_scs_counts_are_the_documented_ones(
    client: httpx.AsyncClient, ra: float, dec: float, radius: float, expected: int
) -> None:
    assert await count(client, "esap-sources", {"ra": ra, "dec": dec, "radius": radius}) == expected


async def test_scs_over_the_record_limit_is_an_overflow(client: httpx.AsyncClient) -> None:
    # (150, 2) r=1 holds 11000 sources; the default limit is 10000
    result = await run_query(client, "esap-sources", {"ra": 150.0, "dec": 2.0, "radius": 1.0})
    assert result["status"] == "OVERFLOW"
    assert result["totalCount"] == 10_000
    assert result["hasNextPage"] is True
    assert "MAXREC=10000" in result["nativeQuery"]


async def test_scs_overflow_with_a_lowered_limit(open_gateway: OpenGateway) -> None:
    client = await open_gateway(max_records=50)
    result = await run_query(client, "esap-sources", {"ra": 200.0, "dec": 50.0, "radius": 1.0})
    assert result["status"] == "OVERFLOW"
    assert result["totalCount"] == 50


@pytest.mark.parametrize(("ra", "dec", "radius"), [(200.0, 50.0, 1.0), (150.0, 2.0, 0.5)])
async def test_scs_equals_pyvo(
    client: httpx.AsyncClient, ra: float, dec: float, radius: float
) -> None:
    result = await run_query(
        client, "esap-sources", {"ra": ra, "dec": dec, "radius": radius}, size=10_000
    )
    assert result["status"] == "OK"
    direct = await asyncio.to_thread(pyvo_scs, ra, dec, radius, 10_000)
    assert result["totalCount"] == len(direct) == len(result["rows"])
    assert positions(result["rows"]) == positions(direct)


async def test_scs_native_query_is_the_url_pyvo_would_call(client: httpx.AsyncClient) -> None:
    result = await run_query(client, "esap-sources", {"ra": 200.0, "dec": 50.0, "radius": 0.5})
    url = result["nativeQuery"]
    assert url.startswith(SCS_URL + "?")
    answer = await asyncio.to_thread(httpx.get, url, timeout=20)
    table = pyvo.dal.DALResults.from_result_url(url).to_table()
    assert answer.status_code == 200
    assert sorted(str(i) for i in table["id"]) == sorted(r["id"] for r in result["rows"])


async def test_scs_records_map_ucd1_columns(client: httpx.AsyncClient) -> None:
    data = await graphql_data(
        client,
        """{ dataset(id: "esap-sources") {
              query(params: {ra: 200, dec: 50, radius: 2}, pageSize: 1000) {
                rows { id title ra dec fields } } } }""",
    )
    rows = data["dataset"]["query"]["rows"]
    assert len(rows) == 300
    row = rows[0]
    assert row["id"].startswith("src-")
    assert set(row["fields"]) == {"id", "ra", "dec", "mag", "name"}
    assert row["ra"] == row["fields"]["ra"]
    assert 12.0 <= row["fields"]["mag"] <= 22.0


async def test_scs_refuses_what_it_cannot_filter(client: httpx.AsyncClient) -> None:
    result = await run_query(
        client, "esap-sources", {"ra": 200.0, "dec": 50.0, "radius": 1.0, "target": "M 31"}
    )
    assert result["error"]["__typename"] == "UnsupportedParameter"
    # a name alone stands for its position (issue 12): looked up, here on no Sesame at all
    # (tests/integration/test_target_names.py resolves names and searches their cones)
    by_name = await run_query(client, "esap-sources", {"target": "M 31"})
    assert by_name["error"]["__typename"] == "ArchiveUnreachable"
    assert "127.0.0.1:9/sesame/-oxp/SNV?M%2031" in by_name["error"]["message"]
    no_cone = await run_query(client, "esap-sources", {})
    assert no_cone["error"]["__typename"] == "InvalidParameter"
    assert "needs a cone" in no_cone["error"]["message"]


async def test_scs_tables_are_the_answer_columns(client: httpx.AsyncClient) -> None:
    data = await graphql_data(
        client, '{ dataset(id: "esap-sources") { tables { name columns { name unit ucd } } } }'
    )
    (table,) = data["dataset"]["tables"]
    assert table["name"] == "esap-sources"
    columns = {c["name"]: c for c in table["columns"]}
    assert set(columns) == {"id", "ra", "dec", "mag", "name"}
    assert columns["ra"]["unit"] == "deg"


async def test_sia2_cone_equals_pyvo(client: httpx.AsyncClient) -> None:
    result = await run_query(client, "esap-sia", {"ra": 200.0, "dec": 50.0, "radius": 0.5})
    assert result["status"] == "OK"
    assert result["totalCount"] == 15  # documented: overlap with s_region, not centre
    direct = await asyncio.to_thread(pyvo_sia2, pos=(200.0, 50.0, 0.5))
    assert positions(result["rows"]) == positions(direct)
    assert "POS=CIRCLE+200.0+50.0+0.5" in result["nativeQuery"]


async def test_sia2_filters_equal_pyvo(client: httpx.AsyncClient) -> None:
    result = await run_query(
        client,
        "esap-sia",
        {"ra": 200.0, "dec": 50.0, "radius": 1.0, "collection": "esaptest-cubes"},
        size=1000,
    )
    direct = await asyncio.to_thread(pyvo_sia2, pos=(200.0, 50.0, 1.0), collection="esaptest-cubes")
    assert result["totalCount"] == len(direct) > 0
    assert {r["collection"] for r in result["rows"]} == {"esaptest-cubes"}
    assert positions(result["rows"]) == positions(direct)
    images = await run_query(
        client,
        "esap-sia",
        {"ra": 10.0, "dec": -30.0, "radius": 2.0, "dataproductType": "image"},
        size=1000,
    )
    direct_images = await asyncio.to_thread(pyvo_sia2, pos=(10.0, -30.0, 2.0), data_type="image")
    assert images["totalCount"] == len(direct_images) >= 40
    assert {r["dataproductType"] for r in images["rows"]} == {"image"}
    assert positions(images["rows"]) == positions(direct_images)


async def test_sia2_target_with_quotes(client: httpx.AsyncClient) -> None:
    result = await run_query(
        client, "esap-sia", {"target": 'O\'Brien "quoted" <field> & co'}, size=100
    )
    assert result["error"] is None
    assert result["totalCount"] == 6
    nothing = await run_query(client, "esap-sia", {"target": "x' OR '1'='1"})
    assert nothing["totalCount"] == 0
