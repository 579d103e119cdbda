"""The typed per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.responses import Response

from esap_graphql.context import ProcessContext
from esap_graphql.domain.users import User
from esap_graphql.services.loaders import Loaders


@dataclass(kw_only=True)
class RequestContext:
    """What a resolver may use: the process context, the caller, per-request loaders."""

    process: ProcessContext
    request: HTTPConnection
    response: Response | None
    user: User
    loaders: Loaders
    #: What a websocket client sent in connection_init (strawberry fills it in).
    connection_params: dict[str, object] | None = None

    @property
    def base_url(self) -> str:
        """The gateway's public base URL, for links it hands out."""
        return public_base_url(self.request, self.process.settings.public_url)


def public_base_url(request: HTTPConnection, configured: str | None) -> str:
    """The base URL clients reach the gateway at, without a trailing slash: the configured
    public URL, else the request's own (always http(s), also for a websocket's request)."""
    if configured:
        return configured.rstrip("/")
    url = request.base_url
    scheme = {"ws": "http", "wss": "https"}.get(url.scheme, url.scheme)
    return str(url.replace(scheme=scheme)).rstrip("/")
