"""What a process holds once built (by ``factory``): the gateway's context and a worker's.

Only holding: nothing here builds anything, and nothing here knows the web framework (the
per-request context is ``resolvers.context``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from esap_graphql.config import Settings
from esap_graphql.domain.archives import Catalogue
from esap_graphql.identity.authenticators import Authenticator
from esap_graphql.services.analysis_runtime import AnalysisRuntime
from esap_graphql.services.basket import BasketService
from esap_graphql.services.data_lake import DataLakeService
from esap_graphql.services.datalink import DataLinkService
from esap_graphql.services.dataset_query import DatasetQueryService
from esap_graphql.services.harvest import HarvestService
from esap_graphql.services.job_execution import JobExecutor
from esap_graphql.services.jobs import JobService
from esap_graphql.services.multi_query import MultiQueryService
from esap_graphql.services.name_resolution import NameResolutionService
from esap_graphql.services.registry import RegistryService
from esap_graphql.telemetry.metrics import NO_METRICS, Metrics


@dataclass(frozen=True, kw_only=True)
class ProcessContext:
    """Everything long-lived in a gateway process: configuration and services."""

    settings: Settings
    catalogue: Catalogue
    auth: Authenticator
    queries: DatasetQueryService
    multi_queries: MultiQueryService
    baskets: BasketService
    jobs: JobService
    registry: RegistryService
    harvests: HarvestService
    datalinks: DataLinkService
    names: NameResolutionService
    data_lake: DataLakeService
    analysis: AnalysisRuntime
    close: Callable[[], Awaitable[None]]
    """Stops background work and releases pools and connections."""
    metrics: Metrics = NO_METRICS
    render_metrics: Callable[[], tuple[bytes, str]] | None = None
    """The metrics page and its content type (none when metrics are off)."""
    readiness: Callable[[], Awaitable[dict[str, str]]] | None = None
    """What is not ready (a name and why), empty when everything is."""

    async def aclose(self) -> None:
        """Release everything the process holds."""
        await self.close()


@dataclass(frozen=True, kw_only=True)
class JobWorker:
    """What an arq worker process holds: the executor its jobs run through."""

    executor: JobExecutor
    close: Callable[[], Awaitable[None]]
    """Stops maintenance (dropping the heartbeat) and releases connections."""

    async def aclose(self) -> None:
        """Release everything the worker holds."""
        await self.close()
