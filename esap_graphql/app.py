"""The ASGI application: GraphQL at /graphql (GraphiQL on GET), /health."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from esap_graphql.config import Settings
from esap_graphql.context import ProcessContext, RequestContext
from esap_graphql.domain.users import LOCAL_USER, User
from esap_graphql.export_routes import export_basket
from esap_graphql.graphiql import STATIC_DIR, STATIC_PATH, graphiql_page
from esap_graphql.http_auth import USER_STATE_KEY, authenticate
from esap_graphql.json_encoding import dumps, dumps_str
from esap_graphql.schema import build_schema
from esap_graphql.scoped_token_gate import ScopedTokenGate
from esap_graphql.services.auth import (
    AuthenticationError,
    Authenticator,
    IdentityProviderUnavailable,
)
from esap_graphql.services.loaders import Loaders
from esap_graphql.uws.routes import ROUTES as UWS_ROUTES

logger = logging.getLogger(__name__)

# The user of a request that can run no operation: a websocket until its connection_init
# is checked (on_ws_connect replaces it or closes the connection), or the GraphiQL page.
_NOT_YET_AUTHENTICATED = User(id="", name="not yet authenticated")

# Keys of websocket connection_init payloads that may carry the token.
_WS_TOKEN_KEYS = ("Authorization", "authorization", "token", "accessToken")


class GatewayGraphQL(GraphQL[RequestContext, None]):
    """strawberry's ASGI app, with our typed context built per request."""

    def __init__(self, process: ProcessContext) -> None:
        settings = process.settings
        super().__init__(
            build_schema(max_depth=settings.max_query_depth, max_tokens=settings.max_query_tokens),
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.process = process

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
            user=await self._user(request),
            loaders=Loaders(self.process.queries),
        )

    async def _user(self, request: Request | WebSocket) -> User:
        auth = self.process.auth
        user = request.scope.get("state", {}).get(USER_STATE_KEY)
        if isinstance(user, User):
            return user  # signed in, or a scoped token (set by ScopedTokenGate in either mode)
        if not auth.required:
            return LOCAL_USER
        if isinstance(request, Request) and not _is_ide_page(request.scope):
            raise RuntimeError("HTTP request reached GraphQL without authentication")
        # The GraphiQL page (a GET without a query: it runs no operation), or a websocket
        # before its connection_init.
        return _NOT_YET_AUTHENTICATED

    async def on_ws_connect(self, context: RequestContext) -> dict[str, object] | None:
        """Authenticate a websocket from its connection_init payload or its Authorization header."""
        auth = self.process.auth
        if not auth.required:
            return None
        params = context.connection_params or {}
        credential = next(
            (str(params[k]) for k in _WS_TOKEN_KEYS if isinstance(params.get(k), str)), None
        )
        if credential is None and context.user is not _NOT_YET_AUTHENTICATED:
            return None  # already authenticated from the upgrade request's header
        try:
            context.user = await auth.authenticate(credential)
        except (AuthenticationError, IdentityProviderUnavailable) as exc:
            logger.info("websocket refused: %s", exc.code)
            raise ConnectionRejectionError({"error": exc.code, "message": exc.message}) from None
        return None


async def health(request: Request) -> JSONResponse:
    """Liveness and a summary of what is configured."""
    process: ProcessContext = request.state.process
    return JSONResponse(
        {
            "status": "ok",
            "archives": len(process.catalogue.archives),
            "datasets": len(process.catalogue.datasets),
        }
    )


class _GraphQLEndpoint:
    """Routes to the GraphQL app that the lifespan builds (it needs the process context)."""

    app: GatewayGraphQL | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.app is None:
            raise RuntimeError("the application's lifespan has not started")
        auth = self.app.process.auth
        if auth.required and not _is_ide_page(scope):
            user = await authenticate_scope(auth, scope)
            if isinstance(user, Response):
                if scope["type"] == "websocket":
                    # A bad token on the upgrade request; a missing one may still come in
                    # connection_init, so only a present, bad header is refused here.
                    await WebSocket(scope, receive, send).close(code=4401)
                else:
                    await user(scope, receive, send)
                return
            if user is not None:
                scope.setdefault("state", {})[USER_STATE_KEY] = user
        await self.app(scope, receive, send)


def _is_ide_page(scope: Any) -> bool:
    """GET /graphql without a query: strawberry answers with the GraphiQL page, no data."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    return "query" not in Request(scope).query_params


async def authenticate_scope(auth: Authenticator, scope: Any) -> User | Response | None:
    """The caller of an HTTP request or websocket upgrade; None for a websocket without header."""
    headers = Headers(scope=scope)
    if scope["type"] == "websocket" and "authorization" not in headers:
        return None
    return await authenticate(auth, headers)


def create_app(settings: Settings, *, process: ProcessContext | None = None) -> Starlette:
    """The application; the lifespan builds the process context unless one is given."""
    graphql_endpoint = _GraphQLEndpoint()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        owned = process is None
        ctx = process or await ProcessContext.create(settings)
        graphql_endpoint.app = GatewayGraphQL(ctx)
        logger.info(
            "esap-graphql ready: %d archives, %d datasets",
            len(ctx.catalogue.archives),
            len(ctx.catalogue.datasets),
        )
        try:
            yield {"process": ctx}
        finally:
            if owned:
                await ctx.aclose()

    return Starlette(
        routes=[
            Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_endpoint),
            Route("/health", health),
            Mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static"),
            Route("/baskets/{name}/export.{format}", export_basket, methods=["GET"]),
            *UWS_ROUTES,
        ],
        lifespan=lifespan,
        middleware=[Middleware(ScopedTokenGate)],
    )
