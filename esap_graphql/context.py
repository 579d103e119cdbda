"""The process context (built once at start-up) and the typed per-request context."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from esap_graphql.config import Settings, load_catalogue
from esap_graphql.connectors.base import Connector
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.connectors.http_json import HttpJsonConnector
from esap_graphql.connectors.scs import ScsConnector
from esap_graphql.connectors.sesame import SesameNameSource
from esap_graphql.connectors.sia import SiaConnector
from esap_graphql.connectors.tap import TapConnector
from esap_graphql.domain.archives import Catalogue, Protocol
from esap_graphql.domain.basket import BasketLimits
from esap_graphql.domain.records import ResultSet
from esap_graphql.domain.users import User
from esap_graphql.services.auth import Authenticator, LocalAuthenticator, OidcAuthenticator
from esap_graphql.services.basket import BasketService
from esap_graphql.services.dataset_query import DatasetQueryService, QueryLimits
from esap_graphql.services.job_runtime import JobRuntime, build_job_runtime
from esap_graphql.services.multi_query import MultiQueryService
from esap_graphql.services.name_resolution import NameResolutionService, NameSource
from esap_graphql.services.result_cache import ResultCache
from esap_graphql.services.target_positions import TargetPositions
from esap_graphql.storage.basket_store import BasketStore, SqlBasketStore
from esap_graphql.storage.database import create_engine, database_url, migrate

if TYPE_CHECKING:
    from esap_graphql.services.loaders import Loaders

logger = logging.getLogger(__name__)

USER_AGENT = "esap-graphql/0.1 (+https://github.com/esap-graphql)"


def build_http_client(settings: Settings) -> httpx.AsyncClient:
    """The pooled HTTP client every connector shares; every call has a timeout."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.query_timeout, connect=settings.connect_timeout),
        limits=httpx.Limits(
            max_connections=settings.global_concurrency, max_keepalive_connections=32
        ),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
    )


def build_service_clients(settings: Settings) -> ServiceClients:
    """One small connection pool per archive service (see ``ServiceClients``)."""
    return ServiceClients(
        timeout=httpx.Timeout(settings.query_timeout, connect=settings.connect_timeout),
        per_service=settings.per_service_concurrency,
        headers={"User-Agent": USER_AGENT},
        ssl_context=httpx.create_ssl_context(),
    )


def build_connectors(http: httpx.AsyncClient | ServiceClients) -> dict[Protocol, Connector]:
    """One connector per protocol, sharing the HTTP clients."""
    return {
        Protocol.TAP: TapConnector(http=http),
        Protocol.SCS: ScsConnector(http=http),
        Protocol.SIA: SiaConnector(http=http),
        Protocol.HTTP: HttpJsonConnector(http=http),
    }


def build_name_resolution(
    settings: Settings, http: httpx.AsyncClient, *, source: NameSource | None = None
) -> NameResolutionService:
    """Target names resolved through the Sesame mirrors (or ``source``), cached."""
    return NameResolutionService(
        source=source
        or SesameNameSource(
            http=http,
            mirrors=settings.sesame_mirrors(),
            databases=settings.sesame_databases,
            timeout=settings.sesame_timeout,
        ),
        ttl=settings.name_cache_ttl,
        not_found_ttl=settings.name_not_found_ttl,
        size=settings.name_cache_size,
    )


def build_target_positions(
    settings: Settings, names: NameResolutionService, connectors: dict[Protocol, Connector]
) -> TargetPositions:
    """Target names as cones for the datasets that search by position only."""
    return TargetPositions(
        names=names, connectors=connectors, default_radius=settings.target_radius
    )


def build_authenticator(settings: Settings, http: httpx.AsyncClient) -> Authenticator:
    """OIDC bearer tokens when an issuer is configured; otherwise the single local user."""
    if not settings.oidc_issuer:
        return LocalAuthenticator()
    return OidcAuthenticator(
        issuer=settings.oidc_issuer,
        audience=settings.oidc_audience,
        jwks_url=settings.oidc_jwks_url,
        http=http,
        timeout=settings.oidc_timeout,
        cache_ttl=settings.oidc_jwks_cache_ttl,
    )


@dataclass(kw_only=True)
class ProcessContext:
    """Everything long-lived: configuration, pools, stores and services."""

    settings: Settings
    catalogue: Catalogue
    http: httpx.AsyncClient
    service_clients: ServiceClients
    engine: AsyncEngine
    queries: DatasetQueryService
    auth: Authenticator
    baskets: BasketService
    multi_queries: MultiQueryService
    jobs: JobRuntime
    names: NameResolutionService
    _closers: list[object] = field(default_factory=list)

    @classmethod
    async def create(
        cls,
        settings: Settings,
        *,
        catalogue: Catalogue | None = None,
        connectors: dict[Protocol, Connector] | None = None,
        http: httpx.AsyncClient | None = None,
        basket_store: BasketStore | None = None,
        name_source: NameSource | None = None,
    ) -> ProcessContext:
        """Build the context; tests pass in-memory connectors or a catalogue here."""
        catalogue = catalogue or load_catalogue(settings.catalogue_path())
        http = http or build_http_client(settings)
        service_clients = build_service_clients(settings)
        engine = create_engine(database_url(settings.database_url, settings.data_dir))
        await migrate(engine)
        connectors = connectors or build_connectors(service_clients)
        names = build_name_resolution(settings, http, source=name_source)
        queries = DatasetQueryService(
            catalogue=catalogue,
            connectors=connectors,
            targets=build_target_positions(settings, names, connectors),
            limits=QueryLimits(
                timeout=settings.query_timeout,
                max_records=settings.max_records,
                max_page_size=settings.max_page_size,
                per_service_concurrency=settings.per_service_concurrency,
                global_concurrency=settings.global_concurrency,
            ),
            cache=ResultCache[ResultSet](ttl=settings.cache_ttl, size=settings.cache_size),
        )
        multi_queries = MultiQueryService(
            catalogue=catalogue,
            queries=queries,
            max_datasets=settings.max_multi_query_datasets,
        )
        baskets = BasketService(
            store=basket_store or SqlBasketStore(engine=engine),
            catalogue=catalogue,
            limits=BasketLimits(
                max_items_per_call=settings.basket_max_items_per_call,
                max_record_bytes=settings.basket_max_record_bytes,
                max_items_per_basket=settings.basket_max_items,
            ),
        )
        return cls(
            settings=settings,
            catalogue=catalogue,
            http=http,
            service_clients=service_clients,
            engine=engine,
            queries=queries,
            auth=build_authenticator(settings, http),
            baskets=baskets,
            multi_queries=multi_queries,
            jobs=await build_job_runtime(
                settings, engine=engine, queries=queries, http=http, baskets=baskets
            ),
            names=names,
        )

    async def aclose(self) -> None:
        """Release pools and connections."""
        await self.jobs.aclose()
        await self.http.aclose()
        await self.service_clients.aclose()
        await self.engine.dispose()


@dataclass(kw_only=True)
class RequestContext:
    """What a resolver may use: the process context, the caller, per-request loaders."""

    process: ProcessContext
    request: Request | WebSocket
    response: Response | None
    user: User
    loaders: Loaders
    #: What a websocket client sent in connection_init (strawberry fills it in).
    connection_params: dict[str, object] | None = None
