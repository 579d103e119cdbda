"""Harvesting the local DaCHS's OAI-PMH interface, and querying the services it lists."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from esap_graphql.connectors.oai_pmh import OaiPmhClient
from esap_graphql.domain.registry import ServiceType
from tests.registry.conftest import DACHS_OAI, OpenRegistryGateway, graphql

CONE = "ivo://esap.test/esapreg/q/cone"
TAP = "ivo://esap.test/tap"
SIA2 = "ivo://esap.test/__system__/siap2/sitewide"

QUERY = """query($ivoid: String!, $params: QueryParamsInput!, $type: ServiceType) {
  registryService(ivoid: $ivoid) {
    __typename
    ... on RegistryService { ivoid title publisher serviceTypes
      query(params: $params, serviceType: $type, pageSize: 5) {
        status totalCount nativeQuery dataset { id name protocol accessUrl }
        error { __typename code message } } }
    ... on Error { code message } } }"""


async def test_harvest_follows_resumption_tokens_then_asks_only_for_changes(
    open_registry_gateway: OpenRegistryGateway, dachs_registry: str
) -> None:
    _, process = await open_registry_gateway()
    harvests = process.harvests
    first = await harvests.harvest(DACHS_OAI)
    assert first.error is None
    # DaCHS pages of 2 records (setup-dachs.sh), at least 5 records published
    assert first.stored >= 5
    assert first.pages >= 3
    assert first.since is None
    cone = await process.registry.resource(CONE)
    assert cone.title == "ESAP test cone search (registered)"
    assert cone.publisher == "ESAP test archive"
    assert ServiceType.SCS in cone.service_types()
    assert cone.source == DACHS_OAI
    tap = await process.registry.resource(TAP)
    assert ServiceType.TAP in tap.service_types()
    again = await harvests.harvest(DACHS_OAI)
    assert again.error is None
    assert again.since is not None
    assert again.since <= datetime.now(UTC)
    assert again.stored < first.stored  # only what changed since the first harvest


async def test_oai_pmh_pages_of_the_real_registry(dachs_registry: str) -> None:
    import httpx

    async with httpx.AsyncClient() as http:
        client = OaiPmhClient(http=http, timeout=10)
        pages = [page async for page in client.harvest(DACHS_OAI)]
    assert all(len(p.records) <= 2 for p in pages)
    assert [p.resumption_token is not None for p in pages] == [True] * (len(pages) - 1) + [False]
    ivoids = {r.ivoid for p in pages for r in p.records}
    assert {CONE, TAP, SIA2, "ivo://esap.test"} <= ivoids


async def test_a_harvested_cone_search_is_queried_like_a_dataset(
    open_registry_gateway: OpenRegistryGateway, dachs_registry: str
) -> None:
    client, process = await open_registry_gateway()
    await process.harvests.harvest(DACHS_OAI)
    params = {"ra": 150.0, "dec": 2.0, "radius": 0.5}
    body = await graphql(client, QUERY, ivoid=CONE, params=params)
    service = body["data"]["registryService"]
    assert service["__typename"] == "RegistryService"
    assert service["publisher"] == "ESAP test archive"
    result = service["query"]
    assert result["error"] is None
    assert result["totalCount"] == 2720  # deploy/dachs/README.md
    assert result["dataset"]["protocol"] == "SCS"
    assert result["dataset"]["accessUrl"] == f"{dachs_registry}/esapreg/q/cone/scs.xml"


async def test_a_harvested_tap_service_is_queried_over_obscore(
    open_registry_gateway: OpenRegistryGateway, dachs_registry: str
) -> None:
    client, process = await open_registry_gateway()
    await process.harvests.harvest(DACHS_OAI)
    params = {"ra": 200.0, "dec": 50.0, "radius": 1.0, "collection": "esaptest-cubes"}
    body = await graphql(client, QUERY, ivoid=TAP, params=params, type="TAP")
    result = body["data"]["registryService"]["query"]
    assert result["error"] is None
    assert result["totalCount"] == 6
    assert "FROM ivoa.obscore" in result["nativeQuery"]


async def test_registry_services_join_a_multi_query(
    open_registry_gateway: OpenRegistryGateway, dachs_registry: str
) -> None:
    client, process = await open_registry_gateway()
    await process.harvests.harvest(DACHS_OAI)
    body = await graphql(
        client,
        """query($ids: [String!]) { multiQuery(datasets: ["esap-images"],
              registryServices: $ids, params: {ra: 200.0, dec: 50.0, radius: 0.5}) {
            results { datasetId totalCount error { __typename } } } }""",
        ids=[SIA2, "ivo://esap.test/nothing-here", "not an ivoid"],
    )
    results = {r["datasetId"]: r for r in body["data"]["multiQuery"]["results"]}
    assert results["esap-images"]["totalCount"] == 5
    assert results[SIA2]["totalCount"] == 15  # SIAv2 overlap, deploy/dachs/README.md
    assert results["ivo://esap.test/nothing-here"]["error"]["__typename"] == (
        "UnknownRegistryService"
    )
    assert results["not an ivoid"]["error"]["__typename"] == "InvalidParameter"


async def test_registry_urls_on_private_hosts_are_refused_unless_allowed(
    open_registry_gateway: OpenRegistryGateway, dachs_registry: str
) -> None:
    client, process = await open_registry_gateway(registry_allow_private_urls=False)
    # the harvest itself is refused: its URL is on loopback
    report = await process.harvests.harvest(DACHS_OAI)
    assert report.error is not None
    assert report.error.code == "refused_url"
    # a record RegTAP lists with a loopback access URL is never called
    body = await graphql(
        client,
        QUERY,
        ivoid="ivo://evil.example/loopback",
        params={"ra": 1.0, "dec": 1.0, "radius": 1.0},
    )
    error = body["data"]["registryService"]["query"]["error"]
    assert error["__typename"] == "RefusedUrl"
    assert "loopback" in error["message"]


async def test_unknown_and_malformed_identifiers_are_typed(
    open_registry_gateway: OpenRegistryGateway,
) -> None:
    client, _ = await open_registry_gateway()
    body = await graphql(client, QUERY, ivoid="ivo://nowhere.test/x", params={})
    assert body["data"]["registryService"]["__typename"] == "UnknownRegistryService"
    body = await graphql(client, QUERY, ivoid="http://not-an-ivoid", params={})
    assert body["data"]["registryService"]["__typename"] == "InvalidParameter"


async def test_a_regtap_service_is_queryable_by_identifier(
    open_registry_gateway: OpenRegistryGateway,
) -> None:
    # ASTRON's TAP, known from (recorded) RegTAP only; it cannot be reached from
    # here, which proves the gateway went to the URL the record gives
    client, _ = await open_registry_gateway()
    body = await graphql(
        client, QUERY, ivoid="ivo://astron.nl/tap", params={"ra": 1.0, "dec": 1.0, "radius": 0.1}
    )
    service = body["data"]["registryService"]
    assert service["publisher"] == "ASTRON"
    assert service["query"]["dataset"]["accessUrl"] == "https://vo.astron.nl/tap"
    assert service["query"]["error"]["__typename"] in {
        "ArchiveUnreachable",
        "ArchiveTimeout",
        "RefusedUrl",
    }


def test_the_harvest_command(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dachs_registry: str,
) -> None:
    from esap_graphql.cli import main

    monkeypatch.setenv("ESAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ESAP_REGISTRY_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("ESAP_REGISTRY_HARVEST", DACHS_OAI)
    assert main(["harvest"]) == 0
    first = capsys.readouterr().out
    assert first.startswith(f"{DACHS_OAI}: ")
    assert "records stored" in first
    assert "changes since" not in first
    assert main(["harvest"]) == 0
    assert "changes since" in capsys.readouterr().out
    monkeypatch.setenv("ESAP_REGISTRY_ALLOW_PRIVATE_URLS", "false")
    assert main(["harvest"]) == 1
    assert "FAILED: refused to call" in capsys.readouterr().out


async def test_the_gateway_harvests_periodically_when_told_to(
    open_registry_gateway: OpenRegistryGateway, dachs_registry: str
) -> None:
    import asyncio

    _, process = await open_registry_gateway(registry_harvest_interval=0.5)
    async with asyncio.timeout(60):
        while (state := await process.harvests.state(DACHS_OAI)) is None:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    assert state.records >= 5
    assert (await process.registry.resource(CONE)).source == DACHS_OAI
