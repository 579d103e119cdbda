"""The registry and DataLink part of the process context: built once, closed once."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from esap_graphql.connectors.datalink import DataLinkClient
from esap_graphql.connectors.egress import check_url
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.connectors.oai_pmh import OaiPmhClient
from esap_graphql.connectors.regtap import RegTapClient
from esap_graphql.registry_settings import RegistrySettings
from esap_graphql.services.datalink import DataLinkService
from esap_graphql.services.harvest import HarvestService
from esap_graphql.services.registry import RegistrySearcher, RegistryService
from esap_graphql.storage.registry_store import RegistryStore, SqlRegistryStore

USER_AGENT = "esap-graphql/0.1 (+https://github.com/esap-graphql)"


@dataclass(kw_only=True)
class RegistryContext:
    """The registry search, harvesting and DataLink services, and what they own."""

    settings: RegistrySettings
    registry: RegistryService
    harvests: HarvestService
    datalinks: DataLinkService
    store: RegistryStore
    _regtap: RegTapClient | None = None
    _periodic: asyncio.Task[None] | None = field(default=None, repr=False)

    def start_periodic_harvest(self) -> None:
        """Harvest the configured registries every interval (when both are set)."""
        urls = self.settings.harvest_urls()
        interval = self.settings.registry_harvest_interval
        if urls and interval > 0 and self._periodic is None:
            self._periodic = asyncio.create_task(self.harvests.run_periodically(urls, interval))

    async def aclose(self) -> None:
        """Stop the periodic harvest and release the RegTAP session."""
        if self._periodic is not None:
            self._periodic.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._periodic
            self._periodic = None
        if self._regtap is not None:
            await asyncio.to_thread(self._regtap.close)


def build_registry_context(
    settings: RegistrySettings,
    *,
    engine: AsyncEngine,
    http: httpx.AsyncClient | ServiceClients,
    store: RegistryStore | None = None,
    regtap: RegistrySearcher | None = None,
) -> RegistryContext:
    """Build the registry services (in the event loop: it may start the periodic harvest).

    Tests pass a store or a RegTAP stand-in here.
    """
    allowed = functools.partial(check_url, allow_private=settings.registry_allow_private_urls)
    client: RegTapClient | None = None
    if regtap is None and settings.regtap_url:
        client = RegTapClient(
            url=settings.regtap_url, timeout=settings.registry_timeout, user_agent=USER_AGENT
        )
        regtap = client
    store = store or SqlRegistryStore(engine=engine)
    built = RegistryContext(
        settings=settings,
        registry=RegistryService(
            regtap=regtap,
            store=store,
            check_url=allowed,
            max_results=settings.registry_max_results,
        ),
        harvests=HarvestService(
            client=OaiPmhClient(http=http, timeout=settings.registry_timeout),
            store=store,
            check_url=allowed,
        ),
        datalinks=DataLinkService(
            client=DataLinkClient(http=http),
            check_url=allowed,
            timeout=settings.datalink_timeout,
            batch_size=settings.datalink_batch_size,
        ),
        store=store,
        _regtap=client,
    )
    built.start_periodic_harvest()
    return built
