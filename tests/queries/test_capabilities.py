"""Dataset capabilities: VOSI for TAP, the endpoint itself for SCS and SIA."""

from __future__ import annotations

import httpx
import pytest

from tests.support import graphql, graphql_data

pytestmark = pytest.mark.dachs

QUERY = "query($id: ID!) { dataset(id: $id) { capabilities { standardId accessUrl role } } }"


async def test_tap_capabilities_come_from_the_services_vosi_endpoint(
    dachs: str, client: httpx.AsyncClient
) -> None:
    data = await graphql_data(client, QUERY, {"id": "esap-images"})
    capabilities = data["dataset"]["capabilities"]
    standards = {c["standardId"] for c in capabilities}
    assert "ivo://ivoa.net/std/TAP" in standards
    assert "ivo://ivoa.net/std/VOSI#tables" in standards
    tap = next(c for c in capabilities if c["standardId"] == "ivo://ivoa.net/std/TAP")
    assert tap == {
        "standardId": "ivo://ivoa.net/std/TAP",
        "accessUrl": f"{dachs}/tap",
        "role": "std",
    }


async def test_cone_search_and_image_search_describe_their_endpoint(
    dachs: str, client: httpx.AsyncClient
) -> None:
    scs = await graphql_data(client, QUERY, {"id": "esap-sources"})
    assert scs["dataset"]["capabilities"] == [
        {
            "standardId": "ivo://ivoa.net/std/ConeSearch",
            "accessUrl": f"{dachs}/esaptest/q/cone/scs.xml",
            "role": "std",
        }
    ]
    sia = await graphql_data(client, QUERY, {"id": "esap-sia"})
    assert sia["dataset"]["capabilities"][0]["standardId"] == "ivo://ivoa.net/std/SIA#query-2.0"


async def test_an_unreachable_archive_is_a_clear_unmasked_error(
    client: httpx.AsyncClient,
) -> None:
    body = await graphql(client, QUERY, {"id": "dead-tap"})
    assert body["data"]["dataset"] == {"capabilities": None}  # the dataset itself stays
    (error,) = body["errors"]
    assert error["message"].startswith("archive unreachable at http://127.0.0.1:9/tap")
    assert error["path"] == ["dataset", "capabilities"]
