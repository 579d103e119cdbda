"""The shipped REST/JSON archives (ALTA, Zenodo, Zooniverse) through the whole gateway.

The catalogue entries are the shipped ones, unchanged but for their endpoint, which
points at the local stand-in replaying answers recorded in each API's documented
format (tests/recorded_apis.py): the real services cannot be reached from here.
"""

from __future__ import annotations

from typing import Any

import pytest

from esap_graphql.config import Settings
from tests.queries.conftest import OpenGateway
from tests.queries.gateway_queries import run_query
from tests.recorded_apis import RecordedApis
from tests.support import graphql_data

ALTA = "apertif-imaging-processed"
ZENODO = "zenodo-escape"
ZOONIVERSE = "zooniverse-projects"
WEBDAV = "https://alta.astron.nl/webdav/APERTIF_DR1_Imaging"


def shipped_catalogue(url: str) -> str:
    """The shipped catalogue with the REST archives' endpoints on the stand-in."""
    text = Settings(config=None).catalogue_path().read_text(encoding="utf-8")
    for real, local in (
        ("https://alta.astron.nl/altapi/dataproducts", f"{url}/altapi/dataproducts"),
        ("https://zenodo.org/api/records", f"{url}/api/records"),
        ("https://www.zooniverse.org/api/projects", f"{url}/api/projects"),
    ):
        assert f"access_url: {real}\n" in text
        text = text.replace(f"access_url: {real}\n", f"access_url: {local}\n")
    return text


@pytest.fixture
async def gateway(open_gateway: OpenGateway, recorded_apis: RecordedApis) -> Any:
    recorded_apis.clear()
    return await open_gateway(catalogue_text=shipped_catalogue(recorded_apis.url))


async def test_alta_by_target_follows_its_next_links(
    gateway: Any, recorded_apis: RecordedApis
) -> None:
    result = await run_query(gateway, ALTA, {"target": "s1333"})
    assert result["status"] == "OK"
    assert result["error"] is None
    assert result["totalCount"] == 3
    first = result["rows"][0]
    assert first == {
        "id": "WSRTA190409041_B000_continuumMF",
        "title": "image_mf_00.fits",
        "target": "S1333+4623",
        "ra": 202.8925,
        "dec": 46.7714,
        "fov": 0.64,
        "dataproductType": "image",
        "calibrationLevel": 2,
        "collection": "APERTIF_DR1_Imaging",
        "sizeBytes": None,
        "accessUrl": f"{WEBDAV}/190409041/B000/image_mf_00.fits",
        "accessFormat": None,
        "thumbnailUrl": f"{recorded_apis.url}/alta-static/media/190409041_B000_continuumMF.png",
    }
    assert [r["dataproductType"] for r in result["rows"]] == ["image", "image", "cube"]
    seen = recorded_apis.requests("/altapi/dataproducts")
    assert len(seen) == 2  # ALTA's pages of two here
    assert seen[0].param("target__icontains") == "s1333"
    assert (
        seen[0].param(
            "dataProductSubType__in",
        )
        is not None
    )
    assert seen[1].param("page") == "2"
    assert result["nativeQuery"].startswith(
        f"{recorded_apis.url}/altapi/dataproducts?target__icontains=s1333&dataProductSubType__in="
    )


async def test_alta_cone_and_filters_in_its_vocabulary(
    gateway: Any, recorded_apis: RecordedApis
) -> None:
    result = await run_query(
        gateway,
        ALTA,
        {"ra": 202.9, "dec": 46.8, "radius": 1.5, "calibrationLevel": 2, "dataproductType": "cube"},
    )
    assert [r["id"] for r in result["rows"]] == ["WSRTA190409041_B000_HI_cube2"]
    sent = dict(recorded_apis.requests("/altapi/dataproducts")[0].query)
    assert (sent["view_ra"], sent["view_dec"], sent["view_fov"]) == ("202.9", "46.8", "1.5")
    assert sent["calibrationLevel"] == "2"
    assert sent["dataProductType"] == "cube"


async def test_alta_fields_keep_every_answer_field(gateway: Any) -> None:
    data = await graphql_data(
        gateway,
        f'{{ dataset(id: "{ALTA}") {{ protocol query(params: {{}}) {{ totalCount '
        "rows { id accessUrl thumbnailUrl fields } columns { name } table } } }",
    )
    dataset = data["dataset"]
    assert dataset["protocol"] == "HTTP"
    query = dataset["query"]
    assert query["totalCount"] == 5
    last = query["rows"][4]
    assert last["accessUrl"] is None  # no release id: no WebDAV path to build
    assert last["thumbnailUrl"] is None
    assert last["fields"]["dataProductSubType"] == "polarisationImage"
    assert last["fields"]["generatedByActivity"] == ["190125041_B010_AP"]
    columns = [c["name"] for c in query["columns"]]
    assert columns[:4] == ["id", "PID", "name", "dataProductType"]
    assert query["table"]["columns"] == columns
    assert len(query["table"]["rows"]) == 5


async def test_zenodo_pages_by_number_and_escapes_its_query_string(
    gateway: Any, recorded_apis: RecordedApis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZENODO_TOKEN", raising=False)
    result = await run_query(gateway, ZENODO, {"target": 'M 31 "core"'}, size=100)
    assert result["status"] == "OK"
    assert result["totalCount"] == 27
    first = result["rows"][0]
    assert first["id"] == "5800000"
    assert first["title"] == "ESCAPE D2.1 Data Lake prototype report"
    assert first["accessUrl"] == f"{recorded_apis.url}/records/5800000"
    assert first["sizeBytes"] == 1048576 + 512 + 2048  # both files
    assert result["rows"][26]["sizeBytes"] is None  # a metadata-only record
    seen = recorded_apis.requests("/api/records")
    assert [s.param("page") for s in seen] == ["1", "2"]
    assert all(s.param("size") == "25" for s in seen)
    assert all(s.param("communities") == "escape2020" for s in seen)
    assert seen[0].param("q") == '"M 31 \\"core\\""'
    assert "authorization" not in seen[0].headers


async def test_zenodo_sends_its_token_from_the_environment(
    open_gateway: OpenGateway, recorded_apis: RecordedApis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZENODO_TOKEN", "zenodo-personal-token")
    client = await open_gateway(catalogue_text=shipped_catalogue(recorded_apis.url))
    recorded_apis.clear()
    result = await run_query(client, ZENODO, {})
    assert result["totalCount"] == 27
    assert "zenodo-personal-token" not in result["nativeQuery"]
    seen = recorded_apis.requests("/api/records")
    assert {s.headers["authorization"] for s in seen} == {"Bearer zenodo-personal-token"}


async def test_zooniverse_needs_its_accept_header_and_reads_meta(
    gateway: Any, recorded_apis: RecordedApis
) -> None:
    everything = await run_query(gateway, ZOONIVERSE, {})
    assert everything["totalCount"] == 4
    named = await run_query(gateway, ZOONIVERSE, {"target": "Gravity Spy"})
    assert [(r["id"], r["title"], r["accessUrl"]) for r in named["rows"]] == [
        ("15561", "Gravity Spy", "https://www.zooniverse.org/projects/zooniverse/gravity-spy")
    ]
    seen = recorded_apis.requests("/api/projects")
    assert {s.headers["accept"] for s in seen} == {"application/vnd.api+json; version=1"}
    assert seen[1].param("display_name") == "Gravity Spy"
    assert seen[1].param("live") == "true"


async def test_the_record_limit_pages_zooniverse_and_says_overflow(
    open_gateway: OpenGateway, recorded_apis: RecordedApis
) -> None:
    client = await open_gateway(catalogue_text=shipped_catalogue(recorded_apis.url), max_records=3)
    recorded_apis.clear()
    result = await run_query(client, ZOONIVERSE, {})
    assert result["status"] == "OVERFLOW"
    assert result["totalCount"] == 3
    seen = recorded_apis.requests("/api/projects")
    assert [(s.param("page"), s.param("page_size")) for s in seen] == [("1", "3")]


async def test_a_multi_query_mixes_rest_archives_each_on_its_own(
    open_gateway: OpenGateway, recorded_apis: RecordedApis
) -> None:
    broken = (
        "  - id: broken-rest\n    name: Broken REST archive\n    datasets:\n"
        "      - id: broken-json\n        name: Answers HTML\n        protocol: http\n"
        f"        access_url: {recorded_apis.url}/shape/not-json\n"
        "        http: {parameters: {target: q}, answer: {records: data.items}}\n"
    )
    client = await open_gateway(catalogue_text=shipped_catalogue(recorded_apis.url) + broken)
    data = await graphql_data(
        client,
        """{ multiQuery(datasets: ["apertif-imaging-processed", "zenodo-escape",
                                   "zooniverse-projects", "broken-json"],
                        params: {target: "Gravity Spy"}, pageSize: 2) {
             results { datasetId status totalCount rows { id }
                       error { __typename message } } } }""",
    )
    results = {r["datasetId"]: r for r in data["multiQuery"]["results"]}
    assert results[ALTA]["totalCount"] == 0
    assert results[ZENODO]["totalCount"] == 27  # the stand-in does not search q
    assert results[ZOONIVERSE]["rows"] == [{"id": "15561"}]
    assert results["broken-json"]["status"] == "ERROR"
    assert results["broken-json"]["error"]["__typename"] == "MalformedResponse"
    assert "not JSON" in results["broken-json"]["error"]["message"]


async def test_rest_forms_and_tables(gateway: Any) -> None:
    data = await graphql_data(
        gateway,
        f'{{ dataset(id: "{ALTA}") {{ queryFields {{ name type allowedValues }} '
        "tables { name columns { name } } capabilities { standardId } } }",
    )
    dataset = data["dataset"]
    assert [f["name"] for f in dataset["queryFields"]] == [
        "ra",
        "dec",
        "radius",
        "target",
        "calibrationLevel",
        "dataproductType",
    ]
    (table,) = dataset["tables"]
    assert table["name"] == ALTA
    assert {"PID", "RA", "dec", "storageRef"} <= {c["name"] for c in table["columns"]}
    assert dataset["capabilities"] == []


async def test_a_rest_record_goes_to_the_basket(gateway: Any) -> None:
    result = await run_query(gateway, ALTA, {"target": "M101"})
    row = result["rows"][0]
    added = await graphql_data(
        gateway,
        """mutation($items: [BasketItemInput!]!) { addToBasket(items: $items) {
             __typename ... on BasketItemsAdded { added } } }""",
        {
            "items": [
                {
                    "dataset": ALTA,
                    "recordId": row["id"],
                    "title": row["title"],
                    "accessUrl": row["accessUrl"],
                    "ra": row["ra"],
                    "dec": row["dec"],
                    "record": {"storageRef": "190125041/B010/WSRTA190125041_B010.MS.tar"},
                }
            ]
        },
    )
    assert added["addToBasket"] == {"__typename": "BasketItemsAdded", "added": 1}
    basket = await graphql_data(gateway, "{ basket { items { dataset { id } recordId } } }")
    assert basket["basket"]["items"] == [
        {"dataset": {"id": ALTA}, "recordId": "WSRTA190125041_B010_calibratedVisibility"}
    ]
