"""HTTP hygiene at the edge: which Host names are answered, which browser pages may change
state, and CORS for frontends served from elsewhere.

A browser sends an ``Origin`` header with every cross-site POST (a plain HTML form included)
and every websocket; VO clients such as pyvo, curl and notebooks send none. So a request that
would change state (or a websocket, which can carry mutations) is refused when it comes from
a page of another origin that CORS does not allow; clients without ``Origin`` keep working.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

#: Methods that change nothing.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Paths probes call by address (Kubernetes sends the pod's IP as Host).
PROBE_PATHS = frozenset({"/health", "/ready", "/metrics"})


def _origin_of(scope: Scope, headers: Headers, public_url: str | None) -> str:
    """The origin this gateway is reached at, as a browser would spell it."""
    if public_url:
        configured, _, rest = public_url.partition("://")
        return f"{configured}://{rest.split('/', 1)[0]}".lower()
    own: str = scope["scheme"]
    scheme = {"ws": "http", "wss": "https"}.get(own, own)
    return f"{scheme}://{headers.get('host', '')}".lower()


class OriginGuard:
    """Refuses state-changing requests and websockets from pages of foreign origins."""

    def __init__(
        self, app: ASGIApp, *, allowed_origins: Iterable[str], public_url: str | None
    ) -> None:
        self.app = app
        self.allowed = frozenset(o.rstrip("/").lower() for o in allowed_origins)
        self.public_url = public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        safe = kind == "http" and scope["method"] in SAFE_METHODS
        if safe or kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = self._foreign_origin(scope, headers)
        if origin is None:
            await self.app(scope, receive, send)
            return
        if kind == "websocket":
            await WebSocket(scope, receive, send).close(code=4403)
            return
        refusal = JSONResponse(
            {
                "error": "forbidden_origin",
                "message": f"requests that change state are not accepted from {origin[:100]}; "
                "the gateway's operator can allow a frontend's origin (ESAP_CORS_ORIGINS)",
            },
            status_code=403,
        )
        await refusal(scope, receive, send)

    def _foreign_origin(self, scope: Scope, headers: Headers) -> str | None:
        """The foreign origin a request comes from, or None when it may pass."""
        sent = headers.get("origin")
        if sent is None:
            # no Origin: not a browser page (or a same-origin GET-like request)
            return "a cross-site page" if headers.get("sec-fetch-site") == "cross-site" else None
        if sent.rstrip("/").lower() in self.allowed:
            return None
        if sent.lower() == _origin_of(scope, headers, self.public_url):
            return None
        return sent


class HostGuard:
    """Starlette's TrustedHostMiddleware, except for the probe paths."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.checked = TrustedHostMiddleware(app, allowed_hosts=list(allowed_hosts))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        await self.checked(scope, receive, send)


def hygiene(
    *, allowed_hosts: Iterable[str], cors_origins: Iterable[str], public_url: str | None
) -> list[Middleware]:
    """The middleware, outermost first: Host names, CORS (when origins are configured), the
    origin check."""
    origins = list(cors_origins)
    stack = [Middleware(HostGuard, allowed_hosts=allowed_hosts)]
    if origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID"],
                max_age=600,
            )
        )
    stack.append(Middleware(OriginGuard, allowed_origins=origins, public_url=public_url))
    return stack
