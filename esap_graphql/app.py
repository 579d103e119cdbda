"""The ASGI application: GraphQL at /graphql (GraphiQL on GET), baskets' export URLs, UWS
REST at /uws, /health, static assets, and the web interface at /."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from esap_graphql.config import Settings
from esap_graphql.context import ProcessContext
from esap_graphql.factory import gateway_context
from esap_graphql.schema.subgraph import build_subgraph_schema
from esap_graphql.telemetry.logs import configure as configure_logs
from esap_graphql.uws.routes import ROUTES as UWS_ROUTES
from esap_graphql.web.authentication import authentication
from esap_graphql.web.export_routes import export_basket
from esap_graphql.web.graphiql import STATIC_DIR, STATIC_PATH
from esap_graphql.web.graphql_app import GatewayGraphQL
from esap_graphql.web.hygiene import hygiene
from esap_graphql.web.probe_routes import ROUTES as PROBE_ROUTES
from esap_graphql.web.query_export_routes import ROUTES as QUERY_EXPORT_ROUTES
from esap_graphql.web.request_context import request_context
from esap_graphql.web.scoped_token_gate import scoped_token_gate
from esap_graphql.web.signed_links import ROUTES as LINK_ROUTES
from esap_graphql.web.signed_links import LinkSigner
from esap_graphql.web.single_page_app import web_routes

logger = logging.getLogger(__name__)


class _GraphQLEndpoint:
    """Routes to the GraphQL app that the lifespan builds (it needs the process context)."""

    app: GatewayGraphQL | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("the application's lifespan has not started")
        await self.app(scope, receive, send)


def freeze_loaded(young_threshold: int = 0) -> None:
    """Exempt everything loaded so far from the cyclic garbage collector, and collect the
    youngest generation every ``young_threshold`` allocations (0: Python's 700).

    Everything loaded before serving (modules, the catalogue: ~200,000 objects) lives as
    long as the process. Left to the collector, each full collection walks all of it: about
    70 ms per 10,000-row answer (BENCHMARKS.md). The objects of a dataset query live for
    the archive's latency: collected every 700 allocations, those of hundreds of datasets
    in flight outlive several young collections and are walked again by the older
    generations (BENCHMARKS.md, issue 15: 1.4 s of GC in a run of 3,600 datasets, 0.75 s
    at 20,000).
    """
    gc.collect()
    gc.freeze()
    if young_threshold > 0:
        _, middle, old = gc.get_threshold()
        gc.set_threshold(young_threshold, middle, old)


def app_from_environment() -> Starlette:
    """The app of one of ``serve --workers``' processes, from ``ESAP_`` variables."""
    settings = Settings()
    configure_logs(settings.log_level, settings.log_format)
    app = create_app(settings)
    freeze_loaded(settings.gc_young_threshold)
    return app


def create_app(settings: Settings, *, process: ProcessContext | None = None) -> Starlette:
    """The application; the lifespan builds the process context unless one is given."""
    graphql_endpoint = _GraphQLEndpoint()
    subgraph_endpoint = _GraphQLEndpoint()  # the Apollo Federation subgraph (schema.subgraph)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        owned = process is None
        ctx = process or await gateway_context(settings)
        graphql_endpoint.app = GatewayGraphQL(ctx)
        subgraph_endpoint.app = GatewayGraphQL(ctx, build=build_subgraph_schema)
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

    app = Starlette(
        routes=[
            Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_endpoint),
            Route("/subgraph/graphql", subgraph_endpoint, methods=["GET", "POST"]),
            WebSocketRoute("/subgraph/graphql", subgraph_endpoint),
            *PROBE_ROUTES,
            Mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static"),
            Route("/baskets/{name}/export.{format}", export_basket, methods=["GET"]),
            *UWS_ROUTES,
            *QUERY_EXPORT_ROUTES,
            *LINK_ROUTES,
            *web_routes(settings),  # last: the app's pages answer what nothing else does
        ],
        middleware=[
            *hygiene(
                allowed_hosts=settings.trusted_hosts(),
                cors_origins=settings.cors_origins,
                public_url=settings.public_url,
            ),
            authentication(),
            request_context(),
            scoped_token_gate(),
        ],
        lifespan=lifespan,
    )
    app.state.link_signer = LinkSigner.from_settings(settings)
    return app
