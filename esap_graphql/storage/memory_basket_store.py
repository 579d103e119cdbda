"""Baskets in a dict: the ``BasketStore`` the service's unit tests run on (same rules as the SQL
store, no database)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from esap_graphql.domain.basket import (
    AddOutcome,
    Basket,
    BasketFull,
    BasketItem,
    BasketSummary,
    NewBasketItem,
)


@dataclass
class _MemoryBasket:
    created_at: datetime
    items: dict[tuple[str, str], BasketItem] = field(default_factory=dict)


class InMemoryBasketStore:
    """Baskets in a dict: the store the service's unit tests run on."""

    def __init__(self) -> None:
        self._baskets: dict[tuple[str, str], _MemoryBasket] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    async def add(
        self, user_id: str, basket: str, items: Sequence[NewBasketItem], *, max_items: int
    ) -> AddOutcome:
        async with self._lock:
            now = datetime.now(UTC)
            existing = self._baskets.get((user_id, basket))
            target = existing or _MemoryBasket(created_at=now)
            fresh: dict[tuple[str, str], BasketItem] = {}
            for item in items:
                if item.key in target.items or item.key in fresh:
                    continue
                fresh[item.key] = BasketItem(
                    id=str(next(self._ids)),
                    basket=basket,
                    archive_id=item.archive_id,
                    dataset_id=item.dataset_id,
                    record_id=item.record_id,
                    title=item.title,
                    access_url=item.access_url,
                    access_format=item.access_format,
                    size_bytes=None if item.size_bytes is None else int(item.size_bytes),
                    ra=item.ra,
                    dec=item.dec,
                    record=json.loads(item.record_json),
                    added_at=now,
                )
            if fresh and len(target.items) + len(fresh) > max_items:
                raise BasketFull(basket, max_items)
            target.items.update(fresh)
            self._baskets[(user_id, basket)] = target
            found = {target.items[i.key].id: target.items[i.key] for i in items}
            ordered = sorted(found.values(), key=lambda i: int(i.id))
            return AddOutcome(basket=basket, items=tuple(ordered), added=len(fresh))

    async def remove(self, user_id: str, ids: Sequence[str]) -> list[str]:
        wanted = set(ids)
        removed: list[str] = []
        async with self._lock:
            for (owner, _), stored in self._baskets.items():
                if owner != user_id:
                    continue
                for key, item in list(stored.items.items()):
                    if item.id in wanted:
                        del stored.items[key]
                        removed.append(item.id)
        return sorted(removed, key=int)

    async def clear(self, user_id: str, basket: str) -> int:
        async with self._lock:
            stored = self._baskets.get((user_id, basket))
            if stored is None:
                return 0
            count = len(stored.items)
            stored.items.clear()
            return count

    async def delete(self, user_id: str, basket: str) -> bool:
        async with self._lock:
            return self._baskets.pop((user_id, basket), None) is not None

    async def get(self, user_id: str, basket: str) -> Basket | None:
        stored = self._baskets.get((user_id, basket))
        if stored is None:
            return None
        items = sorted(stored.items.values(), key=lambda i: int(i.id))
        return Basket(name=basket, items=tuple(items), created_at=stored.created_at)

    async def list(self, user_id: str) -> list[BasketSummary]:
        return [
            BasketSummary(
                name=name,
                count=len(stored.items),
                created_at=stored.created_at,
                updated_at=max((i.added_at for i in stored.items.values()), default=None),
            )
            for (owner, name), stored in sorted(self._baskets.items())
            if owner == user_id
        ]

    async def items(self, user_id: str, ids: Sequence[str]) -> Sequence[BasketItem]:
        wanted = set(ids)
        return sorted(
            (
                item
                for (owner, _), stored in self._baskets.items()
                if owner == user_id
                for item in stored.items.values()
                if item.id in wanted
            ),
            key=lambda i: int(i.id),
        )
