"""Two users, every query and mutation: each sees and changes only their own baskets."""

from __future__ import annotations

from typing import Any

from tests.basket.conftest import Gateway
from tests.support import graphql_data


async def call(gw: Gateway, user: str, query: str, **variables: Any) -> dict[str, Any]:
    return await graphql_data(gw.client, query, variables, headers=gw.headers(user))


async def fill_alice(gw: Gateway) -> list[str]:
    """Alice's default basket gets two items, her basket 'secret' one; their ids."""
    ids: list[str] = []
    for basket, records in ((None, ["a1", "a2"]), ("secret", ["s1"])):
        data = await call(
            gw,
            "alice",
            """mutation($items: [BasketItemInput!]!, $basket: String) {
                 addToBasket(items: $items, basket: $basket) {
                   ... on BasketItemsAdded { items { id } } } }""",
            items=[{"dataset": "apertif-dr1", "recordId": r} for r in records],
            basket=basket,
        )
        ids += [i["id"] for i in data["addToBasket"]["items"]]
    return ids


async def alice_counts(gw: Gateway) -> dict[str, int]:
    data = await call(gw, "alice", "{ baskets { name count } }")
    return {b["name"]: b["count"] for b in data["baskets"]}


async def test_queries_show_only_the_callers_baskets(gateway: Gateway) -> None:
    await fill_alice(gateway)
    bob = await call(gateway, "bob", "{ basket { count items { id } } }")
    assert bob["basket"] == {"count": 0, "items": []}
    bob_named = await call(gateway, "bob", '{ basket(name: "secret") { count items { id } } }')
    assert bob_named["basket"] == {"count": 0, "items": []}
    bob_list = await call(gateway, "bob", "{ baskets { name count } }")
    assert bob_list["baskets"] == [{"name": "default", "count": 0}]
    assert await alice_counts(gateway) == {"default": 2, "secret": 1}


async def test_adding_the_same_record_as_another_user_makes_a_separate_item(
    gateway: Gateway,
) -> None:
    alice_ids = await fill_alice(gateway)
    data = await call(
        gateway,
        "bob",
        """mutation { addToBasket(items: [{dataset: "apertif-dr1", recordId: "a1"}]) {
             ... on BasketItemsAdded { added items { id } } } }""",
    )
    assert data["addToBasket"]["added"] == 1
    assert data["addToBasket"]["items"][0]["id"] not in alice_ids
    assert await alice_counts(gateway) == {"default": 2, "secret": 1}


async def test_removing_another_users_items_removes_nothing(gateway: Gateway) -> None:
    alice_ids = await fill_alice(gateway)
    data = await call(
        gateway,
        "bob",
        "mutation($ids: [ID!]!) { removeFromBasket(ids: $ids) { "
        "... on BasketItemsRemoved { removed ids } } }",
        ids=alice_ids,
    )
    assert data["removeFromBasket"] == {"removed": 0, "ids": []}
    assert await alice_counts(gateway) == {"default": 2, "secret": 1}
    mine = await call(
        gateway,
        "alice",
        "mutation($ids: [ID!]!) { removeFromBasket(ids: $ids) { "
        "... on BasketItemsRemoved { removed ids } } }",
        ids=[alice_ids[0], "not-an-id"],
    )
    assert mine["removeFromBasket"] == {"removed": 1, "ids": [alice_ids[0]]}


async def test_clearing_and_deleting_touch_only_the_callers_baskets(gateway: Gateway) -> None:
    await fill_alice(gateway)
    cleared = await call(
        gateway, "bob", "mutation { clearBasket { ... on BasketCleared { removed } } }"
    )
    assert cleared["clearBasket"] == {"removed": 0}
    cleared_named = await call(
        gateway,
        "bob",
        'mutation { clearBasket(basket: "secret") { ... on BasketCleared { removed } } }',
    )
    assert cleared_named["clearBasket"] == {"removed": 0}
    deleted = await call(
        gateway,
        "bob",
        'mutation { deleteBasket(basket: "secret") { ... on BasketDeleted { existed } } }',
    )
    assert deleted["deleteBasket"] == {"existed": False}
    assert await alice_counts(gateway) == {"default": 2, "secret": 1}


async def test_exports_hold_only_the_callers_items(gateway: Gateway) -> None:
    await fill_alice(gateway)
    for name in ("default", "secret"):
        response = await gateway.client.get(
            f"/baskets/{name}/export.json", headers=gateway.headers("bob")
        )
        assert response.status_code == 200
        assert response.json()["items"] == []
    response = await gateway.client.get(
        "/baskets/secret/export.json", headers=gateway.headers("alice")
    )
    assert [i["record_id"] for i in response.json()["items"]] == ["s1"]


async def test_me_differs_per_user(gateway: Gateway) -> None:
    alice = await call(gateway, "alice", "{ me { id } }")
    bob = await call(gateway, "bob", "{ me { id } }")
    assert alice["me"]["id"] != bob["me"]["id"]
