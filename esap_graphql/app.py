"""The ASGI application: GraphQL at /graphql (GraphiQL on GET), /health."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from esap_graphql.config import Settings
from esap_graphql.context import ProcessContext, RequestContext
from esap_graphql.domain.users import LOCAL_USER
from esap_graphql.schema import build_schema
from esap_graphql.services.loaders import Loaders

logger = logging.getLogger(__name__)


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

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> RequestContext:
        return RequestContext(
            process=self.process,
            request=request,
            response=response if isinstance(response, Response) else None,
            user=LOCAL_USER,
            loaders=Loaders(self.process.queries),
        )


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
        await self.app(scope, receive, send)


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
        ],
        lifespan=lifespan,
    )
