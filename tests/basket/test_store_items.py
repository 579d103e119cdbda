"""Looking basket items up by id (what the federation subgraph's _entities does), per store."""

from __future__ import annotations

from esap_graphql.storage.basket_store import BasketStore
from tests.basket.test_store import new, store  # noqa: F401  (the parametrised store fixture)


async def test_items_by_id_from_any_basket_of_the_owner_only(store: BasketStore) -> None:  # noqa: F811
    first = await store.add("alice", "default", [new("r1"), new("r2")], max_items=10)
    other = await store.add("alice", "project-x", [new("r3")], max_items=10)
    foreign = await store.add("bob", "default", [new("r4")], max_items=10)
    ids = [first.items[1].id, other.items[0].id, foreign.items[0].id, "424242", "not-a-number"]
    found = await store.items("alice", ids)
    assert [(i.id, i.basket, i.record_id) for i in found] == [
        (first.items[1].id, "default", "r2"),
        (other.items[0].id, "project-x", "r3"),
    ]
    assert found[0] == first.items[1]  # the same item as a basket read gives
    assert await store.items("bob", ids) == [foreign.items[0]]
    assert await store.items("alice", []) == []
