"""HTTP hygiene: foreign browser pages cannot change state, Host names are checked, links are
built from the public URL, and CORS is there only for the origins configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.factory import gateway_context
from tests.support import DACHS_CATALOGUE

FORM = {"TYPE": "test.sleep", "PHASE": "RUN"}


async def open_client(
    tmp_path: Path, base_url: str = "http://localhost", **overrides: Any
) -> tuple[httpx.AsyncClient, Any]:
    settings = Settings(config=DACHS_CATALOGUE, data_dir=tmp_path, **overrides)
    process = await gateway_context(settings)
    manager = LifespanManager(create_app(settings, process=process))
    await manager.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=base_url)
    return client, (manager, process)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    http, (manager, process) = await open_client(tmp_path, cors_origins=["https://ui.example.org"])
    try:
        yield http
    finally:
        await http.aclose()
        await manager.__aexit__(None, None, None)
        await process.aclose()


async def test_a_cross_site_form_post_cannot_create_or_delete_jobs(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.post("/uws/jobs", data=FORM, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden_origin"
    assert (await client.get("/uws/jobs")).text.count("<uws:jobref") == 0
    # VO clients (pyvo, curl) send no Origin and keep working; so does the gateway's own page
    created = await client.post("/uws/jobs", data=FORM)
    assert created.status_code == 303
    job = created.headers["location"].rsplit("/", 1)[1]
    same = await client.post(
        f"/uws/jobs/{job}", data={"ACTION": "DELETE"}, headers={"Origin": "http://localhost"}
    )
    assert same.status_code == 303
    foreign = await client.delete(f"/uws/jobs/{job}", headers={"Origin": "null"})
    assert foreign.status_code == 403
    sneaky = await client.post("/uws/jobs", data=FORM, headers={"Sec-Fetch-Site": "cross-site"})
    assert sneaky.status_code == 403


async def test_graphql_mutations_from_foreign_pages_are_refused(client: httpx.AsyncClient) -> None:
    mutation = {"query": 'mutation { clearBasket(basket: "x") { __typename } }'}
    refused = await client.post(
        "/graphql", json=mutation, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403
    allowed = await client.post(
        "/graphql", json=mutation, headers={"Origin": "https://ui.example.org"}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://ui.example.org"


async def test_cors_preflight_only_for_configured_origins(client: httpx.AsyncClient) -> None:
    ask = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    good = await client.options("/graphql", headers={"Origin": "https://ui.example.org", **ask})
    assert good.status_code == 200
    assert good.headers["access-control-allow-origin"] == "https://ui.example.org"
    bad = await client.options("/graphql", headers={"Origin": "https://evil.example", **ask})
    assert "access-control-allow-origin" not in bad.headers


async def test_unknown_host_names_are_refused_but_probes_answer(tmp_path: Path) -> None:
    http, (manager, process) = await open_client(
        tmp_path, base_url="http://attacker.example", public_url="https://esap.example.org"
    )
    try:
        assert (await http.get("/graphql", params={"query": "{ me { id } }"})).status_code == 400
        assert (await http.get("/health")).status_code == 200
        public = await http.get(
            "/graphql",
            params={"query": "{ basket { exportUrl(format: CSV) } }"},
            headers={"Host": "esap.example.org"},
        )
        assert public.json()["data"]["basket"]["exportUrl"] == (
            "https://esap.example.org/baskets/default/export.csv"
        )
    finally:
        await http.aclose()
        await manager.__aexit__(None, None, None)
        await process.aclose()
