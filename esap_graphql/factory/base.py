"""What every part of the factory shares: the settings, the seams tests use, the catalogue and
the stack of what must be closed."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncEngine

from esap_graphql.config import Settings, load_catalogue
from esap_graphql.connectors.base import Connector
from esap_graphql.domain.analysis import AnalysisCatalogue
from esap_graphql.domain.archives import Catalogue, Protocol
from esap_graphql.messaging.event_bus import EventBus
from esap_graphql.services.batch_backend import BatchBackend
from esap_graphql.services.name_resolution import NameSource
from esap_graphql.services.registry import RegistrySearcher
from esap_graphql.storage.basket_store import BasketStore
from esap_graphql.storage.job_store import JobStore
from esap_graphql.storage.registry_store import RegistryStore
from esap_graphql.telemetry import tracing
from esap_graphql.telemetry.metrics import NO_METRICS, Metrics
from esap_graphql.telemetry.prometheus import PrometheusMetrics

USER_AGENT = "esap-graphql/0.1 (+https://github.com/esap-graphql)"


class FactoryBase:
    """Settings, seams and the exit stack; the parts of ``Factory`` build on it."""

    def __init__(
        self,
        settings: Settings,
        *,
        catalogue: Catalogue | None = None,
        connectors: Mapping[Protocol, Connector] | None = None,
        basket_store: BasketStore | None = None,
        job_store: JobStore | None = None,
        registry_store: RegistryStore | None = None,
        regtap: RegistrySearcher | None = None,
        name_source: NameSource | None = None,
        analysis_catalogue: AnalysisCatalogue | None = None,
    ) -> None:
        self.settings = settings
        self._name_source = name_source
        self._catalogue = catalogue
        self._analysis_catalogue = analysis_catalogue
        self._connectors = connectors
        self._basket_store = basket_store
        self._job_store = job_store
        self._registry_store = registry_store
        self._regtap = regtap
        self._engine: AsyncEngine | None = None
        self._bus: EventBus | None = None
        self._batch_backends: dict[str, BatchBackend] = {}
        self._exit = contextlib.AsyncExitStack()
        if tracing.wanted() and not tracing.enabled():
            tracing.start_tracing("esap-graphql")

    async def aclose(self) -> None:
        """Stop and close everything built, newest first."""
        await self._exit.aclose()

    @cached_property
    def prometheus(self) -> PrometheusMetrics | None:
        """This process's Prometheus metrics (none when metrics are off)."""
        return PrometheusMetrics() if self.settings.metrics else None

    @cached_property
    def metrics(self) -> Metrics:
        """Where every layer reports what it does."""
        return self.prometheus or NO_METRICS

    @cached_property
    def catalogue(self) -> Catalogue:
        """The archive catalogue (read and validated once)."""
        return self._catalogue or load_catalogue(self.settings.catalogue_path())
