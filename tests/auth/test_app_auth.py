"""Sign-in at the gateway's edge: single-user mode, 401s, tokens kept out of answers and logs."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.factory import gateway_context
from tests.oidc_issuer import AUDIENCE, Issuer
from tests.servers import free_port
from tests.support import DACHS_CATALOGUE, graphql_data

ME = {"query": "{ me { id name singleUser } }"}


async def test_without_an_issuer_the_gateway_is_single_user(client: httpx.AsyncClient) -> None:
    data = await graphql_data(client, "{ me { id name singleUser } }")
    assert data["me"] == {"id": "local", "name": "local user", "singleUser": True}
    # A token, even garbage, changes nothing in single-user mode.
    other = await graphql_data(
        client, "{ me { id } }", headers={"Authorization": "Bearer not-a-token"}
    )
    assert other["me"]["id"] == "local"
    added = await graphql_data(
        client,
        """mutation { addToBasket(items: [{dataset: "esap-images", recordId: "x"}])
             { __typename } }""",
    )
    assert added["addToBasket"]["__typename"] == "BasketItemsAdded"
    exported = await client.get("/baskets/default/export.json")
    assert exported.status_code == 200
    assert [i["record_id"] for i in exported.json()["items"]] == ["x"]


async def test_export_url_uses_the_public_url_when_set(tmp_path: Path) -> None:
    settings = Settings(
        config=DACHS_CATALOGUE,
        data_dir=tmp_path,
        public_url="https://esap.example.org/api/",
        allowed_hosts=["internal"],  # a proxy in front that sets its own Host
    )
    ctx = await gateway_context(settings)
    app = create_app(settings, process=ctx)
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://internal:8000"
            ) as client,
        ):
            data = await graphql_data(client, '{ basket(name: "p1") { exportUrl(format: CSV) } }')
    finally:
        await ctx.aclose()
    assert data["basket"]["exportUrl"] == "https://esap.example.org/api/baskets/p1/export.csv"


async def test_a_valid_token_identifies_the_user(
    auth_client: httpx.AsyncClient, issuer: Issuer
) -> None:
    response = await auth_client.post("/graphql", json=ME, headers=issuer.bearer("alice"))
    assert response.status_code == 200
    assert response.json()["data"]["me"] == {
        "id": f"{issuer.url}|alice",
        "name": "alice",
        "singleUser": False,
    }


async def test_no_token_is_401_with_a_clear_json_error(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.post("/graphql", json=ME)
    assert response.status_code == 401
    assert response.json()["error"] == "missing_token"
    assert "Bearer" in response.json()["message"]
    assert response.headers["www-authenticate"] == 'Bearer realm="esap-graphql"'
    get = await auth_client.get("/graphql", params={"query": "{ me { id } }"})
    assert get.status_code == 401


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"expires_in": -600}, "token has expired"),
        ({"aud": "another-service"}, "wrong audience"),
        ({"iss": "https://other-issuer.example.org"}, "wrong issuer"),
    ],
    ids=["expired", "audience", "issuer"],
)
async def test_bad_tokens_are_401_and_never_echoed_or_logged(
    auth_client: httpx.AsyncClient,
    issuer: Issuer,
    caplog: pytest.LogCaptureFixture,
    claims: dict[str, object],
    reason: str,
) -> None:
    token = issuer.token("alice", **claims)  # type: ignore[arg-type]
    with caplog.at_level(logging.DEBUG):
        response = await auth_client.post(
            "/graphql", json=ME, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "message": f"the bearer token was rejected: {reason}",
    }
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert token not in response.text
    assert token not in caplog.text
    # The signature alone (the secret-bearing part) appears nowhere either.
    assert token.rsplit(".", 1)[1] not in caplog.text


async def test_good_tokens_are_not_logged_either(
    auth_client: httpx.AsyncClient, issuer: Issuer, caplog: pytest.LogCaptureFixture
) -> None:
    token = issuer.token("alice")
    with caplog.at_level(logging.DEBUG):
        response = await auth_client.post(
            "/graphql",
            json={"query": "{ basket { count } me { id } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200
    assert token not in response.text
    assert token.rsplit(".", 1)[1] not in caplog.text


async def test_the_graphiql_page_and_health_need_no_token(auth_client: httpx.AsyncClient) -> None:
    page = await auth_client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert (await auth_client.get("/health")).status_code == 200


async def test_an_unreachable_issuer_is_503_not_401(tmp_path: Path, issuer: Issuer) -> None:
    settings = Settings(
        config=DACHS_CATALOGUE,
        data_dir=tmp_path,
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=f"http://127.0.0.1:{free_port()}/jwks.json",
        oidc_timeout=2,
    )
    ctx = await gateway_context(settings)
    app = create_app(settings, process=ctx)
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as client,
        ):
            response = await client.post("/graphql", json=ME, headers=issuer.bearer("alice"))
    finally:
        await ctx.aclose()
    assert response.status_code == 503
    assert response.json()["error"] == "identity_provider_unavailable"
