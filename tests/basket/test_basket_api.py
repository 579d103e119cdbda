"""The basket through the real app: the operations as the issue writes them, typed errors,
named baskets, datasets leaving the configuration. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.factory import gateway_context
from tests.basket.conftest import Gateway, catalogue
from tests.support import graphql, graphql_data

ADD = """
mutation Add($items: [BasketItemInput!]!, $basket: String) {
  addToBasket(items: $items, basket: $basket) {
    __typename
    ... on BasketItemsAdded { added items { id recordId } basket { name count } }
    ... on Error { code message }
    ... on UnknownDataset { datasetId }
    ... on TooManyItems { given limit }
    ... on RecordTooLarge { recordId size limit }
    ... on InvalidBasketName { name }
    ... on InvalidParameter { parameter }
    ... on BasketFull { limit }
  }
}
"""

READ = """
query Read($name: String) {
  basket(name: $name) {
    name isDefault count createdAt
    items {
      id basket archiveId datasetId datasetAvailable dataset { id name } archive { id }
      recordId title accessUrl accessFormat sizeBytes ra dec record addedAt
    }
  }
}
"""


def item(record_id: str, dataset: str = "apertif-dr1", **extra: Any) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "recordId": record_id,
        "title": f"title of {record_id}",
        "accessUrl": f"https://data.example.org/{record_id}.fits",
        **extra,
    }


async def add(gw: Gateway, user: str, items: list[dict[str, Any]], basket: str | None = None):  # type: ignore[no-untyped-def]
    data = await graphql_data(
        gw.client, ADD, {"items": items, "basket": basket}, headers=gw.headers(user)
    )
    return data["addToBasket"]


async def read(gw: Gateway, user: str, name: str | None = None) -> dict[str, Any]:
    data = await graphql_data(gw.client, READ, {"name": name}, headers=gw.headers(user))
    basket: dict[str, Any] = data["basket"]
    return basket


async def test_the_operations_as_the_issue_writes_them(gateway: Gateway) -> None:
    headers = gateway.headers("alice")
    added = await graphql_data(
        gateway.client,
        """mutation { addToBasket(items: [{dataset: "apertif-dr1", recordId: "ivo://astron/apertif?1",
           title: "Apertif image 1", accessUrl: "https://example.org/1.fits", record: {}}])
           { __typename } }""",
        headers=headers,
    )
    assert added == {"addToBasket": {"__typename": "BasketItemsAdded"}}
    data = await graphql_data(
        gateway.client,
        "{ basket { count items { id dataset { id } recordId title accessUrl addedAt } } }",
        headers=headers,
    )
    basket = data["basket"]
    assert basket["count"] == 1
    [entry] = basket["items"]
    assert entry["dataset"] == {"id": "apertif-dr1"}
    assert entry["recordId"] == "ivo://astron/apertif?1"
    assert entry["title"] == "Apertif image 1"
    assert entry["accessUrl"] == "https://example.org/1.fits"
    assert entry["addedAt"].endswith("+00:00")
    removed = await graphql_data(
        gateway.client,
        f'mutation {{ removeFromBasket(ids: ["{entry["id"]}"]) {{ __typename }} }}',
        headers=headers,
    )
    assert removed == {"removeFromBasket": {"__typename": "BasketItemsRemoved"}}
    assert (await read(gateway, "alice"))["count"] == 0


async def test_items_keep_every_field_and_the_native_record(gateway: Gateway) -> None:
    record = {"obs_id": "A1", "s_ra": 10.5, "flags": [1, 2], "nested": {"ok": True}, "u": "é"}
    result = await add(
        gateway,
        "alice",
        [
            item(
                "r1",
                accessFormat="image/fits",
                sizeBytes=5_000_000_000,
                ra=10.5,
                dec=-45.25,
                record=record,
            )
        ],
    )
    assert result["__typename"] == "BasketItemsAdded"
    [entry] = (await read(gateway, "alice"))["items"]
    assert entry["record"] == record
    assert entry["sizeBytes"] == 5_000_000_000
    assert (entry["ra"], entry["dec"]) == (10.5, -45.25)
    assert entry["accessFormat"] == "image/fits"
    assert entry["archiveId"] == "astron"
    assert entry["archive"] == {"id": "astron"}
    assert entry["datasetAvailable"] is True
    assert entry["dataset"] == {"id": "apertif-dr1", "name": "Apertif DR1"}


async def test_the_same_record_twice_is_one_item(gateway: Gateway) -> None:
    first = await add(gateway, "alice", [item("r1"), item("r2"), item("r1")])
    assert first["added"] == 2
    again = await add(gateway, "alice", [item("r2"), item("r3")])
    assert again["added"] == 1
    assert [i["recordId"] for i in again["items"]] == ["r2", "r3"]
    second_id = [i["id"] for i in first["items"] if i["recordId"] == "r2"]
    assert [i["id"] for i in again["items"] if i["recordId"] == "r2"] == second_id
    # The same record id in another dataset is another record.
    other = await add(gateway, "alice", [item("r1", dataset="lotss-dr2")])
    assert other["added"] == 1
    basket = await read(gateway, "alice")
    assert basket["count"] == 4
    assert [i["recordId"] for i in basket["items"]] == ["r1", "r2", "r3", "r1"]


async def test_named_baskets_and_the_list_of_baskets(gateway: Gateway) -> None:
    await add(gateway, "alice", [item("r1")])
    await add(gateway, "alice", [item("p1"), item("p2")], basket="project-x")
    assert (await read(gateway, "alice", "project-x"))["count"] == 2
    assert (await read(gateway, "alice"))["count"] == 1
    listing = await graphql_data(
        gateway.client,
        "{ baskets { name isDefault count items { recordId } } }",
        headers=gateway.headers("alice"),
    )
    assert listing["baskets"] == [
        {"name": "default", "isDefault": True, "count": 1, "items": [{"recordId": "r1"}]},
        {
            "name": "project-x",
            "isDefault": False,
            "count": 2,
            "items": [{"recordId": "p1"}, {"recordId": "p2"}],
        },
    ]
    cleared = await graphql_data(
        gateway.client,
        """mutation { clearBasket(basket: "project-x") {
             __typename ... on BasketCleared { removed basket { name count } } } }""",
        headers=gateway.headers("alice"),
    )
    assert cleared["clearBasket"]["removed"] == 2
    assert cleared["clearBasket"]["basket"] == {"name": "project-x", "count": 0}
    deleted = await graphql_data(
        gateway.client,
        """mutation { deleteBasket(basket: "project-x") {
             __typename ... on BasketDeleted { name existed } } }""",
        headers=gateway.headers("alice"),
    )
    assert deleted["deleteBasket"] == {
        "__typename": "BasketDeleted",
        "name": "project-x",
        "existed": True,
    }
    names = await graphql_data(
        gateway.client, "{ baskets { name } }", headers=gateway.headers("alice")
    )
    assert names["baskets"] == [{"name": "default"}]


async def test_a_new_user_has_an_empty_default_basket(gateway: Gateway) -> None:
    basket = await read(gateway, "newcomer")
    assert basket == {
        "name": "default",
        "isDefault": True,
        "count": 0,
        "createdAt": None,
        "items": [],
    }


async def test_items_can_be_paged(gateway: Gateway) -> None:
    await add(gateway, "alice", [item(f"r{i}") for i in range(10)])
    data = await graphql_data(
        gateway.client,
        "{ basket { count items(offset: 3, limit: 4) { recordId } } }",
        headers=gateway.headers("alice"),
    )
    assert data["basket"]["count"] == 10
    assert [i["recordId"] for i in data["basket"]["items"]] == ["r3", "r4", "r5", "r6"]


@pytest.mark.parametrize(
    ("items", "basket", "typename", "expect"),
    [
        ([item("r1", dataset="no-such")], None, "UnknownDataset", {"datasetId": "no-such"}),
        ([item(f"r{i}") for i in range(51)], None, "TooManyItems", {"given": 51, "limit": 50}),
        (
            [item("big", record={"blob": "x" * 2_000})],
            None,
            "RecordTooLarge",
            {"recordId": "big", "limit": 1_000},
        ),
        ([item("r1")], "no spaces/here", "InvalidBasketName", {"name": "no spaces/here"}),
        ([item("r1")], "x" * 65, "InvalidBasketName", {"code": "invalid_basket_name"}),
        ([item("  ")], None, "InvalidParameter", {"parameter": "items[1].recordId"}),
        ([item("r1", record=[1, 2])], None, "InvalidParameter", {"parameter": "items[1].record"}),
        ([item("r1", ra=400.0)], None, "InvalidParameter", {"parameter": "items[1].ra"}),
        ([item("r1", sizeBytes=-1)], None, "InvalidParameter", {"parameter": "items[1].sizeBytes"}),
    ],
    ids=[
        "unknown-dataset",
        "too-many",
        "oversized-record",
        "bad-name",
        "long-name",
        "empty-record-id",
        "record-not-object",
        "ra-out-of-range",
        "negative-size",
    ],
)
async def test_bad_input_gets_a_typed_error_and_changes_nothing(
    gateway: Gateway,
    items: list[dict[str, Any]],
    basket: str | None,
    typename: str,
    expect: dict[str, Any],
) -> None:
    # A valid item first in the same call: the whole call must be refused.
    result = await add(gateway, "alice", [item("good"), *items][:51], basket)
    assert result["__typename"] == typename
    assert result["message"]
    for key, value in expect.items():
        assert result[key] == value
    assert (await read(gateway, "alice"))["count"] == 0


async def test_a_full_basket_refuses_more_and_keeps_what_it_had(gateway: Gateway) -> None:
    for start in range(0, 200, 50):
        result = await add(gateway, "alice", [item(f"r{i}") for i in range(start, start + 50)])
        assert result["added"] == 50
    refused = await add(gateway, "alice", [item("one-too-many"), item("r0")])
    assert refused["__typename"] == "BasketFull"
    assert refused["limit"] == 200
    assert (await read(gateway, "alice"))["count"] == 200
    # Records already there are no growth: re-adding them is fine.
    assert (await add(gateway, "alice", [item("r1"), item("r2")]))["added"] == 0


async def test_removing_too_many_ids_is_a_typed_error(gateway: Gateway) -> None:
    data = await graphql_data(
        gateway.client,
        "mutation($ids: [ID!]!) { removeFromBasket(ids: $ids) { __typename "
        "... on TooManyItems { given limit } } }",
        {"ids": [str(i) for i in range(51)]},
        headers=gateway.headers("alice"),
    )
    assert data["removeFromBasket"] == {"__typename": "TooManyItems", "given": 51, "limit": 50}


async def test_an_invalid_basket_name_in_the_query_is_an_error_with_its_code(
    gateway: Gateway,
) -> None:
    body = await graphql(
        gateway.client, '{ basket(name: "a b") { count } }', headers=gateway.headers("alice")
    )
    assert body["data"] is None
    assert "not valid" in body["errors"][0]["message"]


async def test_items_of_a_dataset_that_left_the_configuration_still_read_back(
    gateway: Gateway, auth_settings: Settings
) -> None:
    await add(gateway, "alice", [item("keep"), item("orphan", dataset="lotss-dr2")])
    # The same database, served by a gateway whose catalogue no longer has lotss-dr2.
    later = await gateway_context(auth_settings, catalogue=catalogue(without="lotss-dr2"))
    app = create_app(auth_settings, process=later)
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as client,
        ):
            data = await graphql_data(
                client, READ, {"name": None}, headers=gateway.headers("alice")
            )
            orphan_add = await graphql_data(
                client,
                ADD,
                {"items": [item("new", dataset="lotss-dr2")]},
                headers=gateway.headers("alice"),
            )
    finally:
        await later.aclose()
    items = {i["recordId"]: i for i in data["basket"]["items"]}
    assert items["keep"]["datasetAvailable"] is True
    orphan = items["orphan"]
    assert orphan["datasetAvailable"] is False
    assert orphan["dataset"] is None
    assert orphan["datasetId"] == "lotss-dr2"
    assert orphan["archive"] == {"id": "astron"}
    assert orphan["title"] == "title of orphan"
    assert orphan_add["addToBasket"]["__typename"] == "UnknownDataset"


async def test_me_names_the_signed_in_user(gateway: Gateway) -> None:
    data = await graphql_data(
        gateway.client, "{ me { id name singleUser } }", headers=gateway.headers("alice")
    )
    assert data["me"] == {
        "id": f"{gateway.issuer.url}|alice",
        "name": "alice",
        "singleUser": False,
    }


async def test_the_table_form_holds_the_same_items(gateway: Gateway) -> None:
    await add(gateway, "alice", [item("r1", ra=1.5, record={"k": 1}), item("r2")])
    data = await graphql_data(
        gateway.client, "{ basket { table } }", headers=gateway.headers("alice")
    )
    table = data["basket"]["table"]
    rows = [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]
    assert [r["record_id"] for r in rows] == ["r1", "r2"]
    assert rows[0]["ra"] == 1.5
    assert rows[0]["record"] == {"k": 1}
    assert rows[0]["dataset_available"] is True
    assert rows[1]["ra"] is None
