"""Harvesting publishing registries (OAI-PMH) into the registry store.

The first harvest of a registry takes everything; each later one asks only
for records changed since the previous one began (OAI-PMH ``from``, set to
the registry's own ``responseDate`` of that harvest, so clocks need not
agree). Every page is stored as it arrives; a harvest that fails keeps the
pages stored so far and leaves the next ``from`` unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from esap_graphql.connectors.oai_pmh import OaiPmhClient
from esap_graphql.domain.errors import EsapError
from esap_graphql.services.registry import UrlCheck
from esap_graphql.storage.registry_store import HarvestState, RegistryStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HarvestReport:
    """What one harvest of one registry did."""

    source: str
    stored: int = 0
    deleted: int = 0
    pages: int = 0
    since: datetime | None = None
    error: EsapError | None = None


class HarvestService:
    """Harvests registries into the store."""

    def __init__(self, *, client: OaiPmhClient, store: RegistryStore, check_url: UrlCheck) -> None:
        self._client = client
        self._store = store
        self._check_url = check_url

    async def harvest(self, base_url: str, *, full: bool = False) -> HarvestReport:
        """Harvest one registry (incrementally unless ``full``); errors end up in the report."""
        state = None if full else await self._store.harvest_state(base_url)
        since = state.harvested_from if state is not None else None
        stored = deleted = pages = 0
        started: datetime | None = None
        try:
            await self._check_url(base_url)
            async for page in self._client.harvest(base_url, since=since):
                pages += 1
                if started is None:
                    started = page.response_date or datetime.now(UTC)
                gone = [r.ivoid for r in page.records if r.deleted]
                kept = [r for r in page.records if not r.deleted and r.resource is not None]
                await self._store.put(
                    [r.resource for r in kept if r.resource is not None],
                    [r.datestamp for r in kept],
                )
                await self._store.delete(gone)
                stored += len(kept)
                deleted += len(gone)
        except EsapError as exc:
            logger.warning("harvest of %s failed: %s", base_url, exc.message)
            return HarvestReport(base_url, stored, deleted, pages, since, exc)
        finally:
            if stored or deleted:
                await self._store.optimize()
        await self._store.save_harvest_state(
            HarvestState(
                source=base_url,
                harvested_from=started,
                last_harvest=datetime.now(UTC),
                records=stored + (state.records if state is not None else 0),
            )
        )
        logger.info("harvested %s: %d records stored, %d deleted", base_url, stored, deleted)
        return HarvestReport(base_url, stored, deleted, pages, since)

    async def state(self, base_url: str) -> HarvestState | None:
        """How far the last successful harvest of a registry got, or None."""
        return await self._store.harvest_state(base_url)

    async def harvest_all(
        self, base_urls: Sequence[str], *, full: bool = False
    ) -> list[HarvestReport]:
        """Harvest every registry, one after the other."""
        return [await self.harvest(url, full=full) for url in base_urls]

    async def run_periodically(self, base_urls: Sequence[str], interval: float) -> None:
        """Harvest every ``interval`` seconds until cancelled."""
        while True:
            try:
                await self.harvest_all(base_urls)
            except Exception:  # a store failure must not end the periodic harvest
                logger.exception("periodic harvest failed")
            await asyncio.sleep(interval)
