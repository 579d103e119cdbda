"""Websockets authenticate from connection_init params or the upgrade's Authorization header."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from tests.oidc_issuer import AUDIENCE, Issuer
from tests.servers import serve_in_thread
from tests.support import DACHS_CATALOGUE

PROTOCOL = "graphql-transport-ws"


@pytest.fixture
def ws_url(tmp_path: Path, issuer: Issuer) -> Iterator[str]:
    """The gateway (sign-in on) under a real uvicorn server; its websocket URL."""
    settings = Settings(
        config=DACHS_CATALOGUE,
        data_dir=tmp_path / "data",
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
    )
    with serve_in_thread(create_app(settings)) as base:
        yield base.replace("http://", "ws://") + "/graphql"


async def run_query(
    url: str, payload: dict[str, Any], query: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """connection_init with ``payload``, then run ``query``; its data."""
    async with websockets.connect(
        url, subprotocols=[PROTOCOL], additional_headers=headers, open_timeout=10
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await ws.recv())
        assert ack["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        message = json.loads(await ws.recv())
        assert message["type"] == "next", message
        data: dict[str, Any] = message["payload"]["data"]
        return data


async def who_am_i(url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> str:
    """connection_init with ``payload``, then run ``{ me { id } }``; the id."""
    data = await run_query(url, payload, "{ me { id } }", headers)
    user_id: str = data["me"]["id"]
    return user_id


async def refused_code(
    url: str, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> int:
    """The close code the gateway answers a connection with (an HTTP status if not upgraded)."""
    try:
        async with websockets.connect(
            url, subprotocols=[PROTOCOL], additional_headers=headers, open_timeout=10
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            while True:
                message = json.loads(await ws.recv())
                assert message["type"] != "connection_ack", "an unauthenticated socket was acked"
    except InvalidStatus as refused:
        return refused.response.status_code
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else -1
    raise AssertionError("not closed")


async def test_token_in_connection_params(ws_url: str, issuer: Issuer) -> None:
    token = issuer.token("alice")
    assert await who_am_i(ws_url, {"Authorization": f"Bearer {token}"}) == f"{issuer.url}|alice"
    assert await who_am_i(ws_url, {"token": issuer.token("bob")}) == f"{issuer.url}|bob"


async def test_token_in_the_upgrade_header(ws_url: str, issuer: Issuer) -> None:
    assert await who_am_i(ws_url, {}, headers=issuer.bearer("carol")) == f"{issuer.url}|carol"


async def test_sockets_without_a_valid_token_are_refused(ws_url: str, issuer: Issuer) -> None:
    assert await refused_code(ws_url, {}) == 4403
    expired = issuer.token("alice", expires_in=-600)
    assert await refused_code(ws_url, {"Authorization": f"Bearer {expired}"}) == 4403
    # A bad header is refused before the upgrade.
    assert await refused_code(ws_url, {}, headers={"Authorization": f"Bearer {expired}"}) == 403


async def test_export_urls_given_over_a_websocket_are_http(ws_url: str, issuer: Issuer) -> None:
    data = await run_query(
        ws_url, {"token": issuer.token("alice")}, "{ basket { exportUrl(format: CSV) } }"
    )
    http_base = ws_url.replace("ws://", "http://").removesuffix("/graphql")
    assert data["basket"]["exportUrl"] == f"{http_base}/baskets/default/export.csv"
