"""The gateway's routes for the interface, over ASGI: a query page as VOTable (what SAMP tools
load), /app-config.json, the token both need when sign-in is on, and the signed links that
let a tool without the token download one of the caller's files."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager
from astropy.io.votable import parse_single_table
from starlette.applications import Starlette

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.domain.users import User
from esap_graphql.web.signed_links import LinkSigner
from tests.oidc_issuer import AUDIENCE, Issuer, running_issuer
from tests.support import DACHS_CATALOGUE


def table_of(response: httpx.Response) -> tuple[list[str], object]:
    votable = parse_single_table(io.BytesIO(response.content))
    return [str(v) for v in votable.to_table()["record_id"]], votable


@pytest.mark.dachs
async def test_query_page_as_votable(client: httpx.AsyncClient, dachs: str) -> None:
    params = {"ra": "200", "dec": "50", "radius": "1", "page": "2", "pageSize": "5"}
    response = await client.get("/query/esap-images.votable", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-votable+xml"
    ids, votable = table_of(response)
    assert len(ids) == 5
    graphql = await client.post(
        "/graphql",
        json={
            "query": '{ dataset(id: "esap-images") { query(params: {ra: 200, dec: 50, '
            "radius: 1}, page: 2, pageSize: 5) { rows { id ra accessUrl } } } }"
        },
    )
    rows = graphql.json()["data"]["dataset"]["query"]["rows"]
    assert ids == [row["id"] for row in rows]  # the same page as the GraphQL query
    table = votable.to_table()  # type: ignore[attr-defined]
    assert list(table["access_url"]) == [row["accessUrl"] for row in rows]
    assert str(table["ra"].unit) == "deg"
    assert "records 6 to 10 of 14" in votable.description  # type: ignore[attr-defined]
    fields = {f.name: f for f in votable.fields}  # type: ignore[attr-defined]
    assert fields["ra"].ucd == "pos.eq.ra;meta.main"
    assert b'name="QUERY_STATUS" value="OK"' in response.content


@pytest.mark.dachs
async def test_query_votable_overflow_and_errors(client: httpx.AsyncClient, dachs: str) -> None:
    over = await client.get(
        "/query/esap-sources.votable", params={"ra": "150", "dec": "2", "radius": "1"}
    )
    assert over.status_code == 200
    assert b'name="QUERY_STATUS" value="OVERFLOW"' in over.content
    assert len(table_of(over)[0]) == 50  # the default page size

    bad = await client.get("/query/esap-images.votable", params={"ra": "east", "dec": "1"})
    assert bad.status_code == 400
    assert bad.json() == {
        "error": "invalid_parameter",
        "message": "ra: must be a number, got 'east'",
        "parameter": "ra",
    }
    outside = await client.get(
        "/query/esap-images.votable", params={"ra": "1", "dec": "95", "radius": "1"}
    )
    assert outside.status_code == 400
    assert outside.json()["parameter"] == "dec"
    unsupported = await client.get(
        "/query/esap-sources.votable",
        params={"ra": "1", "dec": "1", "radius": "1", "collection": "x"},
    )
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_parameter"
    unknown = await client.get("/query/nope.votable")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "unknown_dataset"
    dead = await client.get(
        "/query/dead-tap.votable", params={"ra": "1", "dec": "1", "radius": "1"}
    )
    assert dead.status_code == 502
    assert dead.json()["error"] == "archive_unreachable"
    page_zero = await client.get("/query/esap-images.votable", params={"page": "0"})
    assert page_zero.status_code == 400
    assert page_zero.json()["parameter"] == "page"


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


@pytest.fixture
async def signin_app(tmp_path: Path, issuer: Issuer) -> AsyncIterator[tuple[Starlette, Any]]:
    """The app with sign-in on, and the ASGI app to call (with the lifespan's state)."""
    settings = Settings(
        config=DACHS_CATALOGUE,
        data_dir=tmp_path / "data",
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
        oidc_client_id="esap-web",
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        yield app, manager.app


@pytest.fixture
async def signin_client(
    signin_app: tuple[Starlette, Any],
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=signin_app[1]), base_url="http://localhost"
    ) as http:
        yield http


@pytest.mark.dachs
async def test_signin_config_and_tokens(
    signin_client: httpx.AsyncClient, issuer: Issuer, dachs: str
) -> None:
    config = (await signin_client.get("/app-config.json")).json()
    assert config == {
        "oidcIssuer": issuer.url,
        "oidcClientId": "esap-web",
        "oidcScope": "openid profile email",
        "singleUser": False,
        "graphqlPath": "/graphql",
        "basketMaxItemsPerCall": 500,
    }
    # the app itself needs no token (it asks for one), the data does
    assert (await signin_client.get("/archives")).status_code == 200
    url = "/query/esap-images.votable?ra=200&dec=50&radius=1"
    refused = await signin_client.get(url)
    assert refused.status_code == 401
    assert refused.json()["error"] == "missing_token"
    allowed = await signin_client.get(url, headers=issuer.bearer("alice"))
    assert allowed.status_code == 200
    assert len(table_of(allowed)[0]) == 14


@pytest.mark.dachs
async def test_signed_links_for_tools_without_the_token(
    signin_app: tuple[Starlette, Any],
    signin_client: httpx.AsyncClient,
    issuer: Issuer,
    dachs: str,
) -> None:
    alice = issuer.bearer("alice")
    added = await signin_client.post(
        "/graphql",
        headers=alice,
        json={
            "query": 'mutation { addToBasket(basket: "for-samp", items: [{dataset: "esap-images", '
            'recordId: "r1", title: "one"}]) { __typename } }'
        },
    )
    assert added.json()["data"]["addToBasket"]["__typename"] == "BasketItemsAdded"

    path = "/query/esap-images.votable?ra=200&dec=50&radius=1&page=1&pageSize=5"
    assert (await signin_client.post("/links", json={"url": path})).status_code == 401
    made = await signin_client.post("/links", headers=alice, json={"url": path})
    assert made.status_code == 200
    link = made.json()["url"]
    assert link.startswith("http://localhost/query/esap-images.votable?ra=200&dec=50")
    assert made.json()["expires"] is not None
    fetched = await signin_client.get(link)  # no token: the tool's request
    assert fetched.status_code == 200, fetched.text
    assert len(table_of(fetched)[0]) == 5

    tampered = await signin_client.get(link.replace("pageSize=5", "pageSize=50"))
    assert tampered.status_code == 401
    assert tampered.json() == {
        "error": "invalid_link",
        "message": "the signed link was rejected: the signature does not match",
    }
    query = dict(parse_qsl(urlsplit(link).query))
    assert query["user"].endswith("alice")
    as_bob = await signin_client.get(
        link.split("?")[0], params={**query, "user": query["user"].replace("alice", "bob")}
    )
    assert as_bob.status_code == 401

    basket = await signin_client.post(
        "/links", headers=alice, json={"url": "/baskets/for-samp/export.csv"}
    )
    rows = (await signin_client.get(basket.json()["url"])).text.splitlines()
    assert len(rows) == 2  # header and alice's one item
    assert ",r1,one," in rows[1]

    signer = signin_app[0].state.link_signer
    assert isinstance(signer, LinkSigner)
    old, _ = signer.sign("/baskets/for-samp/export.csv", [], User(id="alice"), now=0)
    expired = await signin_client.get(old)
    assert expired.status_code == 401
    assert expired.json()["message"].endswith("it has expired")

    for refused in ("/graphql", "https://elsewhere.example/query/x.votable", "/uws/jobs"):
        answer = await signin_client.post("/links", headers=alice, json={"url": refused})
        assert answer.status_code == 400, refused
        assert answer.json()["error"] == "not_signable"


async def test_links_are_plain_in_single_user_mode(client: httpx.AsyncClient) -> None:
    made = await client.post("/links", json={"url": "/baskets/default/export.votable"})
    assert made.json() == {
        "url": "http://localhost/baskets/default/export.votable?",
        "expires": None,
    }
