"""Where baskets live: the ``BasketStore`` interface. Its implementations: ``sql_basket_store``
(SQLite and PostgreSQL) and ``memory_basket_store`` (for tests)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from esap_graphql.domain.basket import AddOutcome, Basket, BasketItem, BasketSummary, NewBasketItem


class BasketStore(Protocol):
    """Where baskets live. Every method acts on one user's baskets only."""

    async def add(
        self, user_id: str, basket: str, items: Sequence[NewBasketItem], *, max_items: int
    ) -> AddOutcome:
        """Insert the items not already there (creating the basket); raise ``BasketFull``."""
        ...

    async def remove(self, user_id: str, ids: Sequence[str]) -> list[str]:
        """Delete the user's items with these ids; return the ids deleted."""
        ...

    async def clear(self, user_id: str, basket: str) -> int:
        """Delete every item of one basket; return how many."""
        ...

    async def delete(self, user_id: str, basket: str) -> bool:
        """Delete a basket and its items; return whether it existed."""
        ...

    async def get(self, user_id: str, basket: str) -> Basket | None:
        """One basket with its items (oldest first), or None when it was never created."""
        ...

    async def list(self, user_id: str) -> list[BasketSummary]:
        """The user's baskets, by name."""
        ...

    async def items(self, user_id: str, ids: Sequence[str]) -> Sequence[BasketItem]:
        """The user's items with these ids, from any basket, by id; unknown ids are left out."""
        ...
