"""Every HTTP request and websocket gets an id (the caller's ``X-Request-ID`` or a new one),
sent back in ``X-Request-ID``; its log lines carry the id and the caller's user id, and with
tracing on its spans continue the caller's W3C ``traceparent``."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from esap_graphql.telemetry import logs, tracing

_HEADER = b"x-request-id"
_TRACE_HEADERS = (b"traceparent", b"tracestate")


class RequestContextMiddleware:
    """Sets the request's id, user and trace context for what runs within it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given: str | None = None
        trace_headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name == _HEADER:
                given = value.decode("latin-1")
            elif name in _TRACE_HEADERS:
                trace_headers[name.decode()] = value.decode("latin-1")
        request_id = logs.request_id_from(given)
        user = scope.get("user")
        caller = getattr(user, "user", None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        with logs.request_scope(request_id), tracing.continued(trace_headers):
            logs.set_user(getattr(caller, "id", None))
            await self.app(scope, receive, send_with_id)


def request_context() -> Middleware:
    """The middleware, placed after authentication (it reads the caller)."""
    return Middleware(RequestContextMiddleware)
