"""Where a scoped token is accepted: ``/graphql`` and its own basket's export, nowhere else.

An ASGI middleware in front of every route. A request (or websocket upgrade) whose
Authorization header holds a scoped token is checked here, in single-user mode as with
sign-in on: an invalid or expired one gets 401, one sent to any other URL (jobs, UWS, server
events, another basket's export, even /health) gets 403. An accepted request carries the
token's user in the scope state, where the GraphQL endpoint takes it from; which operations
it may run there is ``schema/scope_guard``'s business. Requests without a scoped token pass
through untouched.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from esap_graphql.domain.users import User
from esap_graphql.http_auth import USER_STATE_KEY, error_response
from esap_graphql.services.auth import InvalidToken
from esap_graphql.services.scoped_tokens import ScopedTokens, scoped_credential

logger = logging.getLogger(__name__)

_EXPORT = re.compile(r"^/baskets/(?P<name>[^/]+)/export\.[a-z]+$")


def allowed_path(user: User, method: str, path: str) -> bool:
    """True when a scoped token may be sent to this URL."""
    assert user.scope is not None
    if path == "/graphql":
        return method in ("GET", "POST", "WEBSOCKET")
    export = _EXPORT.match(path)
    return method == "GET" and export is not None and export["name"] == user.scope.basket


class ScopedTokenGate:
    """Checks scoped tokens at the edge; takes the token checker from the lifespan state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = scoped_credential(Headers(scope=scope).get("authorization"))
        if token is None:
            await self.app(scope, receive, send)
            return
        tokens: ScopedTokens = _state(scope)["process"].analysis.tokens
        try:
            user = tokens.verify(token)
        except InvalidToken as exc:
            logger.info("scoped token refused: %s", exc.reason)
            await _refuse(scope, receive, send, error_response(exc), close_code=4401)
            return
        method = scope.get("method", "WEBSOCKET")
        if not allowed_path(user, method, scope["path"]):
            logger.info("scoped token refused for %s %s", method, scope["path"])
            body = {
                "error": "insufficient_scope",
                "message": "this token may only read (or add to) its own basket through "
                "/graphql or that basket's export URL",
            }
            await _refuse(scope, receive, send, JSONResponse(body, status_code=403), 4403)
            return
        _state(scope)[USER_STATE_KEY] = user
        await self.app(scope, receive, send)


def _state(scope: Scope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


async def _refuse(
    scope: Scope, receive: Receive, send: Send, response: JSONResponse, close_code: int
) -> None:
    if scope["type"] == "websocket":
        await WebSocket(scope, receive, send).close(code=close_code)
    else:
        await response(scope, receive, send)
