"""RegTAP search through pyvo against recorded RegTAP answers, over GraphQL and directly."""

from __future__ import annotations

import pytest

from esap_graphql.connectors.regtap import RegTapClient
from esap_graphql.domain.errors import ArchiveFailure, MalformedResponse
from esap_graphql.domain.registry import ServiceType, registry_query
from tests.registry.conftest import OpenRegistryGateway, RegTapReplay, graphql

SEARCH = """query($k: String, $t: ServiceType, $w: String, $s: RegistrySourceChoice!) {
  registry(keyword: $k, serviceType: $t, waveband: $w, source: $s) {
    services { ivoid title description publisher wavebands serviceTypes source
               capabilities { standardId accessUrl serviceType role } }
    errors { __typename code message } } }"""


async def test_keyword_search_lists_services_with_capabilities_and_publishers(
    open_registry_gateway: OpenRegistryGateway, regtap: RegTapReplay
) -> None:
    client, _ = await open_registry_gateway()
    body = await graphql(client, SEARCH, k="LOFAR", s="REGTAP")
    result = body["data"]["registry"]
    assert result["errors"] == []
    services = {s["ivoid"]: s for s in result["services"]}
    assert set(services) == {
        "ivo://astron.nl/lotss_dr2/q/src_cone",
        "ivo://astron.nl/apertif_dr1/q/apertif_sia",
        "ivo://astron.nl/tap",
        "ivo://evil.example/loopback",
    }
    lotss = services["ivo://astron.nl/lotss_dr2/q/src_cone"]
    assert lotss["publisher"] == "ASTRON"
    assert lotss["wavebands"] == ["radio"]
    assert lotss["serviceTypes"] == ["SCS", "TAP"]
    assert lotss["source"] == "regtap"
    assert lotss["capabilities"][0] == {
        "standardId": "ivo://ivoa.net/std/conesearch",
        "accessUrl": "https://vo.astron.nl/lotss_dr2/q/src_cone/scs.xml?",
        "serviceType": "SCS",
        "role": "std",
    }
    assert services["ivo://astron.nl/apertif_dr1/q/apertif_sia"]["serviceTypes"] == ["SIA2"]
    # pyvo's RegTAP query, then one query for the publishers of everything found
    assert any("ivo_hasword(res_title, 'lofar')" in q.lower() for q in regtap.queries)
    assert any("rr.res_role" in q for q in regtap.queries)


async def test_service_type_and_waveband_become_regtap_conditions(
    regtap: RegTapReplay,
) -> None:
    client = RegTapClient(url=regtap.url, timeout=10)
    try:
        adql = await _adql(client, "optical", ServiceType.TAP, "optical")
    finally:
        client.close()
    assert "standard_id IN ('ivo://ivoa.net/std/tap')" in adql
    assert "1 = ivo_hashlist_has(rr.resource.waveband, 'optical')" in adql
    assert "ivo_hasword(res_description, 'optical')" in adql


async def _adql(
    client: RegTapClient, keyword: str, kind: ServiceType | None, band: str | None
) -> str:
    import asyncio

    return await asyncio.to_thread(client.adql, registry_query(keyword, kind, band))


async def test_a_failing_regtap_is_reported_beside_the_harvested_services(
    open_registry_gateway: OpenRegistryGateway,
) -> None:
    client, process = await open_registry_gateway()
    report = await process.harvests.harvest("http://localhost:8080/oai.xml")
    assert report.error is None
    body = await graphql(client, SEARCH, k="cone brokenquery", s="ALL")
    result = body["data"]["registry"]
    assert result["services"] == []  # nothing harvested says "brokenquery"
    assert [e["__typename"] for e in result["errors"]] == ["ArchiveFailure"]
    assert "syntax error near FROM" in result["errors"][0]["message"]
    body = await graphql(client, SEARCH, k="cone", s="ALL")
    found = [s["ivoid"] for s in body["data"]["registry"]["services"]]
    assert "ivo://esap.test/esapreg/q/cone" in found
    assert body["data"]["registry"]["errors"] == []


@pytest.mark.parametrize(
    ("keyword", "error"),
    [
        ("garbage", MalformedResponse),
        ("wrongcolumns", MalformedResponse),
        ("brokenquery", ArchiveFailure),
    ],
)
async def test_bad_regtap_answers_are_typed_errors(
    regtap: RegTapReplay, keyword: str, error: type[Exception]
) -> None:
    client = RegTapClient(url=regtap.url, timeout=10)
    try:
        with pytest.raises(error):
            await client.search(registry_query(keyword, None, None))
    finally:
        client.close()


async def test_unreachable_regtap_is_archive_unreachable() -> None:
    from esap_graphql.domain.errors import ArchiveUnreachable

    client = RegTapClient(url="http://127.0.0.1:9/tap", timeout=5)
    try:
        with pytest.raises(ArchiveUnreachable):
            await client.search(registry_query("lofar", None, None))
    finally:
        client.close()


async def test_bad_search_input_is_invalid_parameter(
    open_registry_gateway: OpenRegistryGateway,
) -> None:
    client, _ = await open_registry_gateway()
    for variables in ({"w": "ultraviolet-ish"}, {"k": "x" * 300}, {"k": "a\x00b"}, {}):
        body = await graphql(client, SEARCH, s="ALL", **variables)
        errors = body["data"]["registry"]["errors"]
        assert [e["__typename"] for e in errors] == ["InvalidParameter"], variables
