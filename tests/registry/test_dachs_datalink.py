"""DataLink links of records from the local DaCHS: access_format rows and service descriptors."""

from __future__ import annotations

import asyncio

import httpx

from esap_graphql.connectors.datalink import DataLinkClient
from esap_graphql.domain.datalink import LinkRequest
from esap_graphql.domain.errors import ArchiveUnreachable
from esap_graphql.services.datalink import DataLinkLoaders, DataLinkService
from tests.registry.conftest import OpenRegistryGateway, graphql

DL = "http://localhost:8080/esapreg/q/dl/dlmeta"
ROWS = """query($id: ID!, $params: QueryParamsInput!) { dataset(id: $id) {
  query(params: $params, pageSize: 50) { totalCount
    rows { id accessUrl accessFormat
      links { url semantics contentType description size errorMessage }
      linksError { __typename code message } } } } }"""


async def _allowed(url: str) -> str:
    return url


def counting_service(
    counter: list[str], *, batch_size: int = 50
) -> tuple[DataLinkService, httpx.AsyncClient]:
    async def count(request: httpx.Request) -> None:
        counter.append(str(request.url))

    http = httpx.AsyncClient(event_hooks={"request": [count]})
    service = DataLinkService(
        client=DataLinkClient(http=http), check_url=_allowed, timeout=20, batch_size=batch_size
    )
    return service, http


async def test_links_of_a_page_come_from_one_request_to_the_datalink_service(
    open_registry_gateway: OpenRegistryGateway, dachs_registry: str
) -> None:
    requests: list[str] = []
    service, http = counting_service(requests)
    client, _ = await open_registry_gateway(datalinks=service)
    try:
        body = await graphql(client, ROWS, id="esap-linked", params={})
    finally:
        await http.aclose()
    result = body["data"]["dataset"]["query"]
    assert result["totalCount"] == 12
    assert len(requests) == 1  # twelve records, one DataLink request
    assert requests[0].startswith(DL + "?ID=")
    assert requests[0].count("ID=") == 12
    for row in result["rows"]:
        assert row["accessFormat"] == "application/x-votable+xml;content=datalink"
        assert row["linksError"] is None
        links = {link["semantics"]: link for link in row["links"]}
        assert set(links) == {"#this", "#preview", "#auxiliary"}
        number = row["id"].rsplit("?", 1)[1]
        assert links["#this"]["url"] == f"{dachs_registry}/esaptest/data/{number}.tar"
        assert links["#this"]["contentType"] == "application/x-tar"
        assert links["#this"]["size"] >= 1_000_000 * 1024
        assert links["#preview"]["contentType"] == "image/png"
        assert links["#auxiliary"]["description"] == "Observing log"
    # the preview is a real PNG of the size DataLink announced
    preview = next(link for link in result["rows"][0]["links"] if link["semantics"] == "#preview")
    async with httpx.AsyncClient() as direct:
        image = await direct.get(preview["url"])
    assert image.status_code == 200
    assert image.content.startswith(b"\x89PNG")
    assert len(image.content) == preview["size"]


async def test_links_through_the_service_descriptor_of_the_answer(
    open_registry_gateway: OpenRegistryGateway, dachs_registry: str
) -> None:
    # the image rows say image/fits: their links come from the DataLink service
    # DaCHS declares in every ivoa.obscore answer (//obscore#dl)
    client, _ = await open_registry_gateway()
    body = await graphql(client, ROWS, id="esap-images", params={"target": "Barnard's Star"})
    rows = body["data"]["dataset"]["query"]["rows"]
    assert len(rows) == 3
    for row in rows:
        assert row["accessFormat"] == "image/fits"
        assert row["linksError"] is None
        this = [link for link in row["links"] if link["semantics"] == "#this"]
        assert [link["url"] for link in this] == [row["accessUrl"]]
        assert this[0]["contentType"] == "image/fits"


async def test_batches_are_split_and_each_record_gets_its_own_error(dachs_registry: str) -> None:
    requests: list[str] = []
    service, http = counting_service(requests, batch_size=5)
    loaders = DataLinkLoaders(service)
    ids = [f"ivo://esap.test/linked?{n}" for n in range(301, 313)]
    try:
        found = await asyncio.gather(
            *(loaders.load(LinkRequest(endpoint=DL, id=i)) for i in ids),
            loaders.load(LinkRequest(endpoint=DL, id="ivo://esap.test/nothing")),
            loaders.load(LinkRequest(endpoint="http://127.0.0.1:9/dl", id="x")),
            return_exceptions=True,
        )
    finally:
        await http.aclose()
    assert len([r for r in requests if r.startswith(DL)]) == 3  # 13 IDs, 5 a request
    for links in found[:12]:
        assert not isinstance(links, BaseException)
        assert len(links) == 3
    missing = found[12]
    assert not isinstance(missing, BaseException)
    assert [link.error_message for link in missing] == [
        "NotFoundFault: Not a dataset of the ESAP test archive"
    ]
    assert isinstance(found[13], ArchiveUnreachable)


async def test_a_record_whose_links_fail_gets_a_typed_error_and_the_others_their_links(
    open_registry_gateway: OpenRegistryGateway, dachs_registry: str
) -> None:
    from esap_graphql.domain.datalink import DATALINK_CONTENT_TYPE
    from esap_graphql.domain.records import Record
    from tests.support import InMemoryConnector

    records = (
        Record(
            id="dead",
            access_url="http://127.0.0.1:9/dl?ID=dead",
            access_format=DATALINK_CONTENT_TYPE,
        ),
        Record(id="plain", access_url="http://x.test/plain.fits", access_format="image/fits"),
        Record(
            id="live",
            access_url=f"{DL}?ID=ivo%3A%2F%2Fesap.test%2Flinked%3F301",
            access_format=DATALINK_CONTENT_TYPE,
        ),
    )
    connector = InMemoryConnector(records={"esap-linked": records})
    from esap_graphql.domain.archives import Protocol

    client, _ = await open_registry_gateway(connectors={Protocol.TAP: connector})
    response = await client.post(
        "/graphql", json={"query": ROWS, "variables": {"id": "esap-linked", "params": {}}}
    )
    body = response.json()
    rows = {r["id"]: r for r in body["data"]["dataset"]["query"]["rows"]}
    assert rows["dead"]["links"] is None
    assert rows["dead"]["linksError"]["__typename"] == "ArchiveUnreachable"
    assert rows["plain"]["links"] == []
    assert rows["plain"]["linksError"] is None
    assert len(rows["live"]["links"]) == 3
    # the failed field is a GraphQL error too, with its code and the record's path
    assert [e["extensions"]["code"] for e in body["errors"]] == ["archive_unreachable"]
    assert body["errors"][0]["path"][-1] == "links"
