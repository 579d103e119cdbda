"""Scoped tokens: signed by the gateway for one user's one basket, refused everywhere else.

The gateway runs with sign-in on (a real OIDC issuer over HTTP), so "another user's data" is
real: alice and bob each have a basket called ``project``.
"""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
import websockets
from joserfc import jwt
from joserfc.jwk import OctKey

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.domain.tokens import ScopeAction
from esap_graphql.domain.users import InvalidToken
from esap_graphql.identity.scoped_tokens import (
    AUDIENCE,
    ISSUER,
    KEY_FILE,
    KEY_ID,
    ScopedTokens,
    is_scoped_token,
    signing_key,
)
from tests.analysis.conftest import SignedInGateway
from tests.servers import serve_in_thread
from tests.support import graphql

ITEM = {"dataset": "apertif-dr1", "title": "cube"}
ADD = """mutation ($basket: String, $items: [BasketItemInput!]!) {
  addToBasket(basket: $basket, items: $items) {
    __typename ... on BasketItemsAdded { added } ... on Error { code message } } }"""
READ = "query ($name: String) { basket(name: $name) { name count items { recordId } } }"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def fill(gateway: SignedInGateway, subject: str, basket: str, *record_ids: str) -> None:
    """Put records in a user's basket with the user's own sign-in token."""
    items = [{**ITEM, "recordId": r} for r in record_ids]
    body = await graphql(
        gateway.client,
        ADD,
        {"basket": basket, "items": items},
        headers=gateway.issuer.bearer(subject),
    )
    assert body["data"]["addToBasket"]["__typename"] == "BasketItemsAdded", body


def launch_token(
    gateway: SignedInGateway, subject: str = "alice", basket: str = "project", write: bool = False
) -> str:
    actions = [ScopeAction.WRITE] if write else []
    issued = gateway.process.analysis.tokens.issue(gateway.user_id(subject), basket, actions)
    return issued.token


def refusal(body: dict[str, Any]) -> str:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "insufficient_scope", error
    message: str = error["message"]
    return message


@pytest.fixture
async def baskets(signed_in: SignedInGateway) -> SignedInGateway:
    await fill(signed_in, "alice", "project", "alice-1", "alice-2")
    await fill(signed_in, "alice", "other", "alice-secret")
    await fill(signed_in, "bob", "project", "bob-1")
    return signed_in


async def test_a_launch_token_reads_its_basket(baskets: SignedInGateway) -> None:
    token = launch_token(baskets)
    body = await graphql(baskets.client, READ, {"name": "project"}, headers=bearer(token))
    assert body["data"]["basket"]["count"] == 2
    assert {i["recordId"] for i in body["data"]["basket"]["items"]} == {"alice-1", "alice-2"}
    inline = await graphql(
        baskets.client, '{ basket(name: "project") { count } }', headers=bearer(token)
    )
    assert inline["data"]["basket"]["count"] == 2


async def test_a_launch_token_cannot_read_another_basket(baskets: SignedInGateway) -> None:
    token = launch_token(baskets)
    for name in ("other", None):
        body = await graphql(baskets.client, READ, {"name": name}, headers=bearer(token))
        assert "is not the token's basket" in refusal(body)
    # a variable's declared default counts as what execution will see
    sneaky = 'query ($n: String = "other") { basket(name: $n) { count } }'
    assert "'other' is not the token's basket" in refusal(
        await graphql(baskets.client, sneaky, headers=bearer(token))
    )
    # one aliased field outside the scope refuses the whole operation
    both = '{ a: basket(name: "project") { count } b: basket(name: "other") { count } }'
    assert "'other'" in refusal(await graphql(baskets.client, both, headers=bearer(token)))
    listing = await graphql(baskets.client, "{ baskets { name count } }", headers=bearer(token))
    assert "'baskets' is not allowed" in refusal(listing)
    export = await baskets.client.get("/baskets/other/export.json", headers=bearer(token))
    assert export.status_code == 403
    assert export.json()["error"] == "insufficient_scope"


async def test_a_launch_token_cannot_read_another_users_data(baskets: SignedInGateway) -> None:
    token = launch_token(baskets)  # alice's
    body = await graphql(baskets.client, READ, {"name": "project"}, headers=bearer(token))
    assert "bob-1" not in {i["recordId"] for i in body["data"]["basket"]["items"]}
    export = await baskets.client.get("/baskets/project/export.json", headers=bearer(token))
    assert export.status_code == 200
    assert {i["record_id"] for i in export.json()["items"]} == {"alice-1", "alice-2"}
    # a token for bob made with any other key, or alice's with its subject changed, is refused
    forged = jwt.encode(
        {"alg": "HS256", "kid": KEY_ID},
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": baskets.user_id("bob"),
            "basket": "project",
            "act": ["read"],
            "exp": 4_000_000_000,
        },
        OctKey.import_key(b"k" * 32),
    )
    head, payload, signature = token.split(".")
    claims = json.loads(_b64decode(payload))
    claims["sub"] = baskets.user_id("bob")
    tampered = ".".join((head, _b64encode(json.dumps(claims).encode()), signature))
    for bad in (forged, tampered):
        response = await baskets.client.post(
            "/graphql", json={"query": READ, "variables": {"name": "project"}}, headers=bearer(bad)
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
    me = await graphql(baskets.client, "{ me { id } }", headers=bearer(token))
    assert "'me' is not allowed" in refusal(me)


async def test_a_launch_token_cannot_touch_jobs(baskets: SignedInGateway) -> None:
    token = launch_token(baskets, write=True)
    jobs = await graphql(baskets.client, "{ jobs { id } }", headers=bearer(token))
    assert "'jobs' is not allowed" in refusal(jobs)
    create = await graphql(
        baskets.client,
        'mutation { createJob(type: "test.sleep", parameters: {seconds: 0}) { __typename } }',
        headers=bearer(token),
    )
    assert "'createJob' is not allowed" in refusal(create)
    for path in ("/uws/jobs", "/uws/events", "/health"):
        response = await baskets.client.get(path, headers=bearer(token))
        assert response.status_code == 403, path
    posted = await baskets.client.post(
        "/uws/jobs", data={"TYPE": "test.sleep", "seconds": "0"}, headers=bearer(token)
    )
    assert posted.status_code == 403
    alice_jobs = await graphql(
        baskets.client, "{ jobs { id } }", headers=baskets.issuer.bearer("alice")
    )
    assert alice_jobs["data"]["jobs"] == []  # nothing was created on her behalf


async def test_writing_needs_the_write_action(baskets: SignedInGateway) -> None:
    items = [{**ITEM, "recordId": "from-notebook"}]
    reader = launch_token(baskets)
    body = await graphql(
        baskets.client, ADD, {"basket": "project", "items": items}, headers=bearer(reader)
    )
    assert "needs write access" in refusal(body)
    writer = launch_token(baskets, write=True)
    added = await graphql(
        baskets.client, ADD, {"basket": "project", "items": items}, headers=bearer(writer)
    )
    assert added["data"]["addToBasket"] == {"__typename": "BasketItemsAdded", "added": 1}
    elsewhere = await graphql(
        baskets.client, ADD, {"basket": "other", "items": items}, headers=bearer(writer)
    )
    assert "'other' is not the token's basket" in refusal(elsewhere)
    for mutation in (
        'mutation { clearBasket(basket: "project") { __typename } }',
        'mutation { removeFromBasket(ids: ["1"]) { __typename } }',
        'mutation { deleteBasket(basket: "project") { __typename } }',
    ):
        assert "is not allowed" in refusal(
            await graphql(baskets.client, mutation, headers=bearer(writer))
        )
    mine = await graphql(baskets.client, READ, {"name": "project"}, headers=bearer(writer))
    assert mine["data"]["basket"]["count"] == 3


async def test_an_expired_token_is_refused(baskets: SignedInGateway) -> None:
    tokens = baskets.process.analysis.tokens
    old = tokens.issue(baskets.user_id("alice"), "project", [], lifetime=-60).token
    response = await baskets.client.post(
        "/graphql", json={"query": READ, "variables": {"name": "project"}}, headers=bearer(old)
    )
    assert response.status_code == 401
    assert "expired" in response.json()["message"]


async def test_sign_in_tokens_still_work_beside_scoped_ones(baskets: SignedInGateway) -> None:
    body = await graphql(baskets.client, "{ baskets { name } }", headers=baskets.issuer.bearer())
    assert {b["name"] for b in body["data"]["baskets"]} >= {"project", "other"}
    assert not is_scoped_token(baskets.issuer.token("alice"))


def test_subscriptions_are_refused_over_a_websocket(
    signed_in_settings: Settings, tmp_path: Path
) -> None:
    """A real server: the token in connection_init, a basket query works, a job feed does not."""
    import asyncio

    async def scenario(url: str, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        async with websockets.connect(
            url, subprotocols=["graphql-transport-ws"], open_timeout=10
        ) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": token}})
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": '{ basket(name: "project") { count } }'},
                    }
                )
            )
            query = json.loads(await ws.recv())
            await ws.send(
                json.dumps(
                    {
                        "id": "2",
                        "type": "subscribe",
                        "payload": {"query": "subscription { myJobs { jobId } }"},
                    }
                )
            )
            while True:
                feed = json.loads(await ws.recv())
                if feed.get("id") == "2":
                    return query, feed

    app = create_app(signed_in_settings)
    user = f"{signed_in_settings.oidc_issuer}|alice"
    key = signing_key(None, signed_in_settings.data_dir)
    token = ScopedTokens(key=key).issue(user, "project", []).token
    with serve_in_thread(app) as base:
        query, feed = asyncio.run(scenario(base.replace("http", "ws") + "/graphql", token))
    assert query["type"] == "next"
    assert query["payload"]["data"] == {"basket": {"count": 0}}
    assert feed["type"] in ("error", "next")
    errors = feed["payload"] if feed["type"] == "error" else feed["payload"]["errors"]
    assert "'myJobs' is not allowed" in errors[0]["message"]


def test_verify_refuses_garbage_and_foreign_tokens(tmp_path: Path) -> None:
    tokens = ScopedTokens(key=b"a" * 32)
    other = ScopedTokens(key=b"b" * 32)
    issued = tokens.issue("u", "default", [ScopeAction.WRITE])
    user = tokens.verify(issued.token)
    assert user.id == "u"
    assert user.scope is not None
    assert user.scope.basket == "default"
    assert user.scope.actions == {ScopeAction.READ, ScopeAction.WRITE}
    assert user.scope.expires_at == issued.expires_at
    for bad in ("not-a-token", issued.token[:-4] + "AAAA", other.issue("u", "x", []).token):
        with pytest.raises(InvalidToken):
            tokens.verify(bad)
    with pytest.raises(ValueError, match="at least 32 bytes"):
        ScopedTokens(key=b"short")


def test_the_default_lifetime_is_one_hour() -> None:
    clock = [1_000_000.0]
    tokens = ScopedTokens(key=b"a" * 32, clock=lambda: clock[0])
    issued = tokens.issue("u", "default", [])
    assert issued.expires_at.timestamp() == 1_000_000 + 3600
    clock[0] += 3590
    assert tokens.verify(issued.token).id == "u"
    clock[0] += 20
    with pytest.raises(InvalidToken, match="expired"):
        tokens.verify(issued.token)


def _key_of(data_dir: str) -> bytes:
    return signing_key(None, Path(data_dir))


def test_processes_sharing_data_dir_agree_on_the_key(tmp_path: Path) -> None:
    data_dir = tmp_path / "shared"
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        keys = pool.map(_key_of, [str(data_dir)] * 4)
    assert len(set(keys)) == 1
    assert len(keys[0]) >= 32
    assert (data_dir / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE]  # no temporary files left
    assert _key_of(str(data_dir)) == keys[0]
    assert _key_of(str(tmp_path / "elsewhere")) != keys[0]
    assert signing_key("c" * 40, data_dir) == b"c" * 40


def _b64decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
