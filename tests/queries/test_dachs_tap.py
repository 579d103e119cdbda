"""TAP through the gateway against the real DaCHS: documented counts, and equal to pyvo."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import pyvo

from tests.queries.conftest import OpenGateway
from tests.queries.gateway_queries import count, positions, run_query
from tests.support import TAP_URL, graphql_data

pytestmark = [pytest.mark.dachs, pytest.mark.usefixtures("dachs")]

HOSTILE_TARGET = 'O\'Brien "quoted" <field> & co'


def pyvo_tap(query: str, maxrec: int) -> list[dict[str, Any]]:
    """Rows of a TAP query run directly with pyvo, as id / ra / dec / target."""
    table = pyvo.dal.TAPService(TAP_URL).run_sync(query, maxrec=maxrec).to_table()
    id_column = "obs_publisher_did" if "obs_publisher_did" in table.colnames else "id"
    ra, dec = ("s_ra", "s_dec") if "s_ra" in table.colnames else ("ra", "dec")
    return [
        {
            "id": str(row[id_column]),
            "ra": float(row[ra]),
            "dec": float(row[dec]),
            "target": str(row["target_name"]) if "target_name" in table.colnames else None,
        }
        for row in table
    ]


@pytest.mark.parametrize(
    ("dataset", "ra", "dec", "radius", "expected"),
    [
        ("esap-obscore", 200.0, 50.0, 0.5, 7),
        ("esap-images", 200.0, 50.0, 0.5, 5),
        ("esap-cubes", 200.0, 50.0, 0.5, 2),
        ("esap-obscore", 200.0, 50.0, 1.0, 20),
        ("esap-images", 200.0, 50.0, 1.0, 14),
        ("esap-cubes", 200.0, 50.0, 1.0, 6),
        ("esap-obscore", 200.0, 50.0, 2.0, 79),
        ("esap-images", 200.0, 50.0, 2.0, 51),
        ("esap-cubes", 200.0, 50.0, 2.0, 28),
        ("esap-obscore", 200.0, 50.0, 3.0, 210),
        ("esap-obscore", 200.0, 50.0, 10.0, 210),
        ("esap-cubes", 200.0, 50.0, 5.0, 70),
        ("esap-obscore", 10.0, -30.0, 0.5, 2),
        ("esap-obscore", 10.0, -30.0, 1.0, 18),
        ("esap-images", 10.0, -30.0, 1.0, 12),
        ("esap-obscore", 10.0, -30.0, 2.0, 60),
        ("esap-cubes", 10.0, -30.0, 10.0, 20),
        ("esap-obscore", 150.0, 2.0, 10.0, 0),
        ("esap-sources-tap", 150.0, 2.0, 0.5, 2720),
        ("esap-sources-tap", 200.0, 50.0, 0.5, 20),
        ("esap-sources-tap", 200.0, 50.0, 1.0, 76),
        ("esap-sources-tap", 200.0, 50.0, 2.0, 300),
    ],
)
async def test_cone_counts_are_the_documented_ones(
    client: httpx.AsyncClient, dataset: str, ra: float, dec: float, radius: float, expected: int
) -> None:
    assert await count(client, dataset, {"ra": ra, "dec": dec, "radius": radius}) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"calibrationLevel": 3}, 100),
        ({"dataproductType": "image"}, 200),
        ({"collection": "esaptest-cubes", "ra": 200.0, "dec": 50.0, "radius": 2.0}, 28),
        ({"dataproductType": "cube", "ra": 10.0, "dec": -30.0, "radius": 1.0}, 6),
        ({"target": "Barnard's Star"}, 6),
        ({"target": "Sgr A*"}, 6),
        ({"target": "Ω Cen"}, 6),
    ],
)
async def test_filters_give_the_documented_counts(
    client: httpx.AsyncClient, params: dict[str, Any], expected: int
) -> None:
    assert await count(client, "esap-obscore", params) == expected


@pytest.mark.parametrize(
    ("dataset", "params"),
    [
        ("esap-obscore", {"ra": 200.0, "dec": 50.0, "radius": 1.0}),
        ("esap-obscore", {"ra": 10.0, "dec": -30.0, "radius": 2.0, "calibrationLevel": 2}),
        ("esap-cubes", {"ra": 200.0, "dec": 50.0, "radius": 3.0}),
        ("esap-images", {"target": "Barnard's Star"}),
        ("esap-sources-tap", {"ra": 200.0, "dec": 50.0, "radius": 1.0}),
    ],
)
async def test_gateway_equals_pyvo(
    client: httpx.AsyncClient, dataset: str, params: dict[str, Any]
) -> None:
    result = await run_query(client, dataset, params, size=10_000)
    assert result["error"] is None
    assert result["status"] == "OK"
    direct = await asyncio.to_thread(pyvo_tap, result["nativeQuery"], 10_000)
    assert result["totalCount"] == len(direct) == len(result["rows"])
    assert len(direct) > 0
    assert positions(result["rows"]) == positions(direct)


async def test_hostile_target_matches_exactly_its_rows(client: httpx.AsyncClient) -> None:
    result = await run_query(client, "esap-obscore", {"target": HOSTILE_TARGET}, size=100)
    assert result["error"] is None
    assert result["totalCount"] == 6  # row 4 of each of the six groups
    assert {r["target"] for r in result["rows"]} == {HOSTILE_TARGET}
    assert sorted(r["id"] for r in result["rows"]) == sorted(
        [f"ivo://esap.test/images?{n}" for n in (4, 144, 184)]
        + [f"ivo://esap.test/cubes?{n}" for n in (204, 274, 294)]
    )
    assert "'O''Brien \"quoted\" <field> & co'" in result["nativeQuery"]
    direct = await asyncio.to_thread(pyvo_tap, result["nativeQuery"], 1000)
    assert positions(result["rows"]) == positions(direct)


@pytest.mark.parametrize(
    "target",
    [
        "x' OR '1'='1",
        "' OR 1=1 --",
        "x'; SELECT * FROM ivoa.obscore --",
        "' UNION SELECT * FROM ivoa.obscore WHERE '1'='1",
        "/* */ OR 1=1",
    ],
)
async def test_injection_attempts_match_nothing(client: httpx.AsyncClient, target: str) -> None:
    result = await run_query(client, "esap-obscore", {"target": target})
    assert result["error"] is None
    assert result["status"] == "OK"
    assert result["totalCount"] == 0
    assert result["rows"] == []


async def test_pages_are_disjoint_and_cover_the_result(client: httpx.AsyncClient) -> None:
    params = {"ra": 200.0, "dec": 50.0, "radius": 1.0}
    pages = [await run_query(client, "esap-obscore", params, page=n, size=7) for n in (1, 2, 3, 4)]
    assert [len(p["rows"]) for p in pages] == [7, 7, 6, 0]
    assert [p["hasNextPage"] for p in pages] == [True, True, False, False]
    assert [p["page"] for p in pages] == [1, 2, 3, 4]
    assert all(p["totalCount"] == 20 and p["pageSize"] == 7 for p in pages)
    paged = [r["id"] for p in pages for r in p["rows"]]
    assert len(paged) == len(set(paged)) == 20
    whole = await run_query(client, "esap-obscore", params, size=100)
    assert paged == [r["id"] for r in whole["rows"]]
    assert whole["hasNextPage"] is False


async def test_overflow_when_the_record_limit_is_lowered(open_gateway: OpenGateway) -> None:
    client = await open_gateway(max_records=5)
    result = await run_query(client, "esap-obscore", {"ra": 200.0, "dec": 50.0, "radius": 1.0})
    assert result["status"] == "OVERFLOW"
    assert result["totalCount"] == 5
    assert len(result["rows"]) == 5
    under = await run_query(client, "esap-obscore", {"ra": 10.0, "dec": -30.0, "radius": 0.5})
    assert under["status"] == "OK"
    assert under["totalCount"] == 2


async def test_records_carry_obscore_fields(client: httpx.AsyncClient) -> None:
    result = await run_query(client, "esap-images", {"target": "Barnard's Star"}, size=10)
    rows = {r["id"]: r for r in result["rows"]}
    assert set(rows) == {f"ivo://esap.test/images?{n}" for n in (1, 141, 181)}
    row = rows["ivo://esap.test/images?1"]
    assert row["collection"] == "esaptest-images"
    assert row["dataproductType"] == "image"
    assert row["calibrationLevel"] == 2
    assert row["accessUrl"] == "http://localhost:8080/esaptest/data/1.fits"
    assert row["accessFormat"] == "image/fits"
    assert 8_000_000 <= row["sizeBytes"] <= 32_000_000  # 8000-32000 kB
    assert row["thumbnailUrl"] is None
    assert row["title"]
    assert 0.2 <= row["fov"] <= 0.5


async def test_fields_and_table_hold_every_native_column(client: httpx.AsyncClient) -> None:
    data = await graphql_data(
        client,
        """{ dataset(id: "esap-images") {
              query(params: {target: "Sgr A*"}, pageSize: 10) {
                rows { id fields } table columns { name unit ucd } } } }""",
    )
    result = data["dataset"]["query"]
    names = [c["name"] for c in result["columns"]]
    assert "s_ra" in names
    assert "access_estsize" in names
    assert {c["name"]: c["unit"] for c in result["columns"]}["s_ra"] == "deg"
    assert result["table"]["columns"] == names
    assert len(result["table"]["rows"]) == len(result["rows"]) == 3
    for row, table_row in zip(result["rows"], result["table"]["rows"], strict=True):
        assert list(row["fields"]) == names
        assert table_row == [row["fields"][n] for n in names]
        assert row["fields"]["obs_publisher_did"] == row["id"]


async def test_fixed_collection_cannot_be_changed(client: httpx.AsyncClient) -> None:
    result = await run_query(client, "esap-images", {"collection": "esaptest-cubes"})
    assert result["status"] == "ERROR"
    assert result["error"]["__typename"] == "InvalidParameter"
    assert result["rows"] == []


async def test_unmapped_filter_on_a_plain_table_is_unsupported(
    client: httpx.AsyncClient,
) -> None:
    result = await run_query(client, "esap-sources-tap", {"calibrationLevel": 2})
    assert result["error"]["__typename"] == "UnsupportedParameter"
    assert "calibrationLevel" in result["error"]["message"]


async def test_tables_list_obscore_with_units(client: httpx.AsyncClient) -> None:
    data = await graphql_data(
        client, '{ dataset(id: "esap-obscore") { tables { name columns { name unit ucd } } } }'
    )
    tables = {t["name"]: t for t in data["dataset"]["tables"]}
    assert "ivoa.obscore" in tables
    assert "esaptest.sources" in tables
    columns = {c["name"]: c for c in tables["ivoa.obscore"]["columns"]}
    assert columns["s_ra"]["unit"] == "deg"
    assert columns["s_ra"]["ucd"] == "pos.eq.ra"
    assert columns["access_estsize"]["unit"] == "kbyte"
    sources = {c["name"]: c for c in tables["esaptest.sources"]["columns"]}
    assert sources["id"]["ucd"] == "meta.id;meta.main"
    assert sources["mag"]["unit"] == "mag"


async def test_tables_by_name(client: httpx.AsyncClient) -> None:
    data = await graphql_data(
        client,
        '{ dataset(id: "esap-obscore") { tables(name: "IVOA.ObsCore") { name description } } }',
    )
    tables = data["dataset"]["tables"]
    assert [t["name"] for t in tables] == ["ivoa.obscore"]
    assert tables[0]["description"]


async def test_second_identical_query_comes_from_the_cache(client: httpx.AsyncClient) -> None:
    params = {"ra": 200.0, "dec": 50.0, "radius": 0.5}
    first = await run_query(client, "esap-obscore", params)
    second = await run_query(client, "esap-obscore", params)
    assert (first["fromCache"], second["fromCache"]) == (False, True)
    assert first["rows"] == second["rows"]
