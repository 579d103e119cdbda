"""GraphQL over HTTP and WebSocket at /graphql (GraphiQL on a plain GET), on strawberry's ASGI
app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from esap_graphql.context import ProcessContext
from esap_graphql.domain.users import AuthenticationError, IdentityProviderUnavailable, User
from esap_graphql.json_encoding import dumps, dumps_str
from esap_graphql.resolvers.context import RequestContext
from esap_graphql.schema import build_schema
from esap_graphql.services.loaders import Loaders
from esap_graphql.telemetry import tracing
from esap_graphql.telemetry.metrics import NO_METRICS
from esap_graphql.web.authentication import caller, identify, require_user
from esap_graphql.web.graphiql import graphiql_page
from esap_graphql.web.operation_telemetry import OperationTelemetry

logger = logging.getLogger(__name__)

# The user of a request that can run no operation: a websocket until its connection_init
# is checked (on_ws_connect replaces it or closes the connection), or the GraphiQL page.
_NOT_YET_AUTHENTICATED = User(id="", name="not yet authenticated")

# Keys of websocket connection_init payloads that may carry the token.
_WS_TOKEN_KEYS = ("Authorization", "authorization", "token", "accessToken")


class GatewayGraphQL(GraphQL[RequestContext, None]):
    """strawberry's ASGI app, with our typed context built per request."""

    def __init__(
        self, process: ProcessContext, *, build: Callable[..., Schema] = build_schema
    ) -> None:
        settings = process.settings
        extensions: list[Callable[[], SchemaExtension]] = []
        if process.metrics is not NO_METRICS or tracing.enabled():
            extensions.append(
                lambda: OperationTelemetry(metrics=process.metrics, traced=tracing.enabled())
            )
        super().__init__(
            build(
                max_depth=settings.max_query_depth,
                max_tokens=settings.max_query_tokens,
                extensions=extensions,
            ),
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.process = process

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Over HTTP every operation needs a caller (the GraphiQL page itself runs none); a
        # websocket may still authenticate in its connection_init.
        if scope["type"] == "http" and not _is_ide_page(scope):
            user = require_user(Request(scope))
            if isinstance(user, Response):
                await user(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def encode_json(self, data: object) -> str:
        # text, not bytes: strawberry sends bytes over a websocket as binary frames,
        # which graphql-transport-ws clients do not read
        return dumps_str(data)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """The JSON answer to an HTTP request, encoded once, straight to bytes."""
        response = Response(dumps(response_data), media_type="application/json")
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page, with its assets served by the app rather than a CDN."""
        return HTMLResponse(graphiql_page(request.scope.get("root_path", "")))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> RequestContext:
        return RequestContext(
            process=self.process,
            request=request,
            response=response if isinstance(response, Response) else None,
            user=caller(request) or _NOT_YET_AUTHENTICATED,
            loaders=Loaders(self.process.queries),
        )

    async def on_ws_connect(self, context: RequestContext) -> dict[str, object] | None:
        """Authenticate a websocket from its connection_init payload (or its upgrade header)."""
        params = context.connection_params or {}
        credential = next(
            (str(params[k]) for k in _WS_TOKEN_KEYS if isinstance(params.get(k), str)), None
        )
        if credential is None and context.user is not _NOT_YET_AUTHENTICATED:
            return None  # authenticated from the upgrade request's header
        try:
            context.user = await identify(self.process.auth, credential)
        except (AuthenticationError, IdentityProviderUnavailable) as exc:
            raise ConnectionRejectionError({"error": exc.code, "message": exc.message}) from None
        return None


def _is_ide_page(scope: Any) -> bool:
    """GET /graphql without a query: strawberry answers with the GraphiQL page, no data."""
    if scope["method"] != "GET":
        return False
    return "query" not in Request(scope).query_params
