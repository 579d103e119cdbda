"""Two browser tabs adding at once, through the real app: nothing is lost, nothing doubled."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.factory import gateway_context
from tests.basket.conftest import Gateway, catalogue
from tests.support import graphql_data

ADD = """mutation($items: [BasketItemInput!]!, $basket: String) {
  addToBasket(items: $items, basket: $basket) { __typename ... on BasketItemsAdded { added } } }"""


async def add_batch(gw: Gateway, records: list[str], basket: str | None = None) -> int:
    data = await graphql_data(
        gw.client,
        ADD,
        {"items": [{"dataset": "apertif-dr1", "recordId": r} for r in records], "basket": basket},
        headers=gw.headers("alice"),
    )
    result: dict[str, Any] = data["addToBasket"]
    assert result["__typename"] == "BasketItemsAdded", result
    added: int = result["added"]
    return added


async def count(gw: Gateway, basket: str | None = None) -> list[str]:
    data = await graphql_data(
        gw.client,
        "query($n: String) { basket(name: $n) { count items { recordId } } }",
        {"n": basket},
        headers=gw.headers("alice"),
    )
    assert data["basket"]["count"] == len(data["basket"]["items"])
    return [i["recordId"] for i in data["basket"]["items"]]


async def test_concurrent_adds_from_two_tabs_lose_nothing(gateway: Gateway) -> None:
    # Tab 1 adds t1-0..t1-39 one call each, tab 2 t2-0..t2-39; both also add shared-N.
    calls = []
    for i in range(40):
        calls.append(add_batch(gateway, [f"t1-{i}", f"shared-{i % 10}"]))
        calls.append(add_batch(gateway, [f"t2-{i}", f"shared-{i % 10}"]))
    added = await asyncio.gather(*calls)
    records = await count(gateway)
    expected = {f"t{t}-{i}" for t in (1, 2) for i in range(40)} | {f"shared-{i}" for i in range(10)}
    assert sorted(records) == sorted(expected)
    assert sum(added) == len(expected)


async def test_concurrent_first_adds_create_one_named_basket(gateway: Gateway) -> None:
    added = await asyncio.gather(*(add_batch(gateway, [f"r{i}"], "fresh") for i in range(20)))
    assert sum(added) == 20
    assert len(await count(gateway, "fresh")) == 20
    data = await graphql_data(
        gateway.client, "{ baskets { name } }", headers=gateway.headers("alice")
    )
    assert [b["name"] for b in data["baskets"]] == ["default", "fresh"]


async def test_adds_and_removes_interleaved_keep_the_basket_consistent(gateway: Gateway) -> None:
    await add_batch(gateway, [f"old-{i}" for i in range(20)])
    data = await graphql_data(
        gateway.client, "{ basket { items { id recordId } } }", headers=gateway.headers("alice")
    )
    old_ids = [i["id"] for i in data["basket"]["items"]]

    async def remove(item_id: str) -> None:
        await graphql_data(
            gateway.client,
            "mutation($ids: [ID!]!) { removeFromBasket(ids: $ids) { __typename } }",
            {"ids": [item_id]},
            headers=gateway.headers("alice"),
        )

    await asyncio.gather(
        *(remove(i) for i in old_ids),
        *(add_batch(gateway, [f"new-{i}"]) for i in range(20)),
    )
    assert sorted(await count(gateway)) == sorted(f"new-{i}" for i in range(20))


async def test_the_size_limit_holds_under_concurrent_adds(gateway: Gateway) -> None:
    # Limit 200 (see auth_settings): 8 concurrent calls of 50 new records each.
    data = await asyncio.gather(
        *(
            graphql_data(
                gateway.client,
                ADD,
                {"items": [{"dataset": "apertif-dr1", "recordId": f"c{c}-{i}"} for i in range(50)]},
                headers=gateway.headers("alice"),
            )
            for c in range(8)
        )
    )
    outcomes = [d["addToBasket"]["__typename"] for d in data]
    assert outcomes.count("BasketItemsAdded") == 4
    assert outcomes.count("BasketFull") == 4
    assert len(await count(gateway)) == 200


async def test_two_gateway_processes_on_one_database_lose_nothing(
    gateway: Gateway, auth_settings: Settings
) -> None:
    # A second process context has its own connection pool (and its own SQLite write lock),
    # so the two only meet in the database: as two gateway processes would.
    other = await gateway_context(auth_settings, catalogue=catalogue())
    app = create_app(auth_settings, process=other)
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as second,
        ):

            async def add_via(client: httpx.AsyncClient, records: list[str]) -> None:
                data = await graphql_data(
                    client,
                    ADD,
                    {"items": [{"dataset": "apertif-dr1", "recordId": r} for r in records]},
                    headers=gateway.headers("alice"),
                )
                assert data["addToBasket"]["__typename"] == "BasketItemsAdded"

            await asyncio.gather(
                *(add_via(gateway.client, [f"p1-{i}", f"both-{i % 5}"]) for i in range(30)),
                *(add_via(second, [f"p2-{i}", f"both-{i % 5}"]) for i in range(30)),
            )
    finally:
        await other.aclose()
    expected = (
        {f"p1-{i}" for i in range(30)}
        | {f"p2-{i}" for i in range(30)}
        | {f"both-{i}" for i in range(5)}
    )
    assert sorted(await count(gateway)) == sorted(expected)
