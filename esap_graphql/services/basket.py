"""Basket rules: names, limits, known datasets, one item per record, each user's baskets apart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from esap_graphql.domain.archives import Catalogue
from esap_graphql.domain.basket import (
    DEFAULT_BASKET,
    AddOutcome,
    Basket,
    BasketItem,
    BasketLimits,
    BasketSummary,
    ExportFormat,
    NewBasketItem,
    RecordTooLarge,
    TooManyItems,
    check_basket_name,
    checked_item,
)
from esap_graphql.domain.errors import InvalidParameter, UnknownDataset
from esap_graphql.domain.users import User
from esap_graphql.formats.basket_files import as_table, render
from esap_graphql.storage.basket_store import BasketStore
from esap_graphql.telemetry.metrics import NO_METRICS, Metrics


class BasketService:
    """Adds, removes, clears and reads one user's baskets; knows nothing of GraphQL or SQL."""

    def __init__(
        self,
        *,
        store: BasketStore,
        catalogue: Catalogue,
        limits: BasketLimits,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._catalogue = catalogue
        self._available = frozenset(d.id for d in catalogue.datasets)
        self.limits = limits

    async def add(
        self, user: User, items: Sequence[NewBasketItem], basket: str | None = None
    ) -> AddOutcome:
        """Put records in a basket (created on first use); records already there stay as is."""
        name = check_basket_name(basket)
        if len(items) > self.limits.max_items_per_call:
            raise TooManyItems(len(items), self.limits.max_items_per_call)
        checked: dict[tuple[str, str], NewBasketItem] = {}
        for index, given in enumerate(items):
            dataset = self._catalogue.dataset(given.dataset_id)
            if dataset is None:
                raise UnknownDataset(given.dataset_id)
            item = checked_item(index, given)
            encoded = _encoded_record(index, item.record)
            size = len(encoded.encode())
            if size > self.limits.max_record_bytes:
                raise RecordTooLarge(item.record_id, size, self.limits.max_record_bytes)
            checked.setdefault(
                item.key, replace(item, archive_id=dataset.archive_id, record_json=encoded)
            )
        if not checked:
            return AddOutcome(basket=name, items=(), added=0)
        outcome = await self._store.add(
            user.id, name, list(checked.values()), max_items=self.limits.max_items_per_basket
        )  # every dataset was just checked: all items are available
        self._metrics.basket_write("add", outcome.added)
        return outcome

    async def remove(self, user: User, ids: Sequence[str]) -> list[str]:
        """Remove items by id from any of the user's baskets; return the ids removed."""
        if len(ids) > self.limits.max_items_per_call:
            raise TooManyItems(len(ids), self.limits.max_items_per_call)
        removed = await self._store.remove(user.id, list(dict.fromkeys(ids)))
        self._metrics.basket_write("remove", len(removed))
        return removed

    async def clear(self, user: User, basket: str | None = None) -> int:
        """Empty one basket; return how many items it held."""
        cleared = await self._store.clear(user.id, check_basket_name(basket))
        self._metrics.basket_write("clear", cleared)
        return cleared

    async def delete(self, user: User, basket: str) -> bool:
        """Delete a basket with its items; return whether it existed."""
        deleted = await self._store.delete(user.id, check_basket_name(basket))
        self._metrics.basket_write("delete", int(deleted))
        return deleted

    async def basket(self, user: User, basket: str | None = None) -> Basket:
        """One basket with its items; empty when nothing was ever added to it."""
        name = check_basket_name(basket)
        found = await self._store.get(user.id, name)
        if found is None:
            return Basket(name=name)
        if all(i.dataset_id in self._available for i in found.items):
            return found
        items = tuple(
            i if i.dataset_id in self._available else replace(i, dataset_available=False)
            for i in found.items
        )
        return replace(found, items=items)

    async def baskets(self, user: User) -> list[BasketSummary]:
        """The user's baskets by name; the default one is always listed."""
        summaries = await self._store.list(user.id)
        if all(s.name != DEFAULT_BASKET for s in summaries):
            summaries.insert(0, BasketSummary(name=DEFAULT_BASKET, count=0))
        return summaries

    async def items(self, user: User, ids: Sequence[str]) -> dict[str, BasketItem]:
        """The user's items with these ids (from any basket), by id; others are left out."""
        found = await self._store.items(user.id, list(dict.fromkeys(ids)))
        return {
            i.id: i if i.dataset_id in self._available else replace(i, dataset_available=False)
            for i in found
        }

    def table(self, basket: Basket) -> dict[str, Any]:
        """A basket's items as one table value (columns, rows), for large baskets."""
        return as_table(basket)

    async def export(self, user: User, basket: str | None, fmt: ExportFormat) -> bytes:
        """One basket as a file; items of datasets no longer configured are marked."""
        found = await self.basket(user, basket)
        # astropy's VOTable writer is CPU-bound: keep it off the event loop.
        return await asyncio.to_thread(render, found, fmt)


def _encoded_record(index: int, record: object) -> str:
    """The record as it is stored (and measured): compact JSON of an object, with no NaN or
    infinity (which JSON cannot hold and would be read back as invalid JSON)."""
    if not isinstance(record, dict):
        raise InvalidParameter(f"items[{index}].record", "must be a JSON object")
    try:
        return json.dumps(record, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise InvalidParameter(
            f"items[{index}].record", "must not hold NaN or infinite numbers"
        ) from None
