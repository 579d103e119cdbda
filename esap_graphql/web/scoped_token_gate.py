"""Where a scoped token is accepted: ``/graphql`` and its own basket's export, nowhere else.

An ASGI middleware right after authentication. The authenticator has already checked the
token (an invalid or expired one got 401 there) and put its user, with its ``scope``, on the
request; here a request of such a user to any other URL (jobs, UWS, server events, another
basket's export, even /health) gets 403, in single-user mode as with sign-in on. Which
operations it may run at /graphql is ``schema/scope_guard``'s business. Requests of other
callers pass through untouched.
"""

from __future__ import annotations

import logging
import re

from starlette.middleware import Middleware
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from esap_graphql.domain.tokens import TokenScope
from esap_graphql.web.authentication import caller

logger = logging.getLogger(__name__)

_EXPORT = re.compile(r"^/baskets/(?P<name>[^/]+)/export\.[a-z]+$")


def allowed_path(scope: TokenScope, method: str, path: str) -> bool:
    """True when a scoped token may be sent to this URL."""
    if path == "/graphql":
        return method in ("GET", "POST", "WEBSOCKET")
    export = _EXPORT.match(path)
    return method == "GET" and export is not None and export["name"] == scope.basket


class ScopedTokenGate:
    """Refuses requests of a scoped token to URLs outside its scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        user = caller(HTTPConnection(scope))
        if user is None or user.scope is None:
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "WEBSOCKET")
        if allowed_path(user.scope, method, scope["path"]):
            await self.app(scope, receive, send)
            return
        logger.info("scoped token refused for %s %s", method, scope["path"])
        if scope["type"] == "websocket":
            await WebSocket(scope, receive, send).close(code=4403)
            return
        body = {
            "error": "insufficient_scope",
            "message": "this token may only read (or add to) its own basket through /graphql "
            "or that basket's export URL",
        }
        await JSONResponse(body, status_code=403)(scope, receive, send)


def scoped_token_gate() -> Middleware:
    """The middleware; it must come after ``authentication()``."""
    return Middleware(ScopedTokenGate)
