"""The basket store contract, run against the in-memory store, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from esap_graphql.domain.basket import BasketFull, NewBasketItem
from esap_graphql.storage.basket_store import BasketStore
from esap_graphql.storage.database import create_engine, migrate
from esap_graphql.storage.memory_basket_store import InMemoryBasketStore
from esap_graphql.storage.sql_basket_store import SqlBasketStore
from tests.basket.conftest import temporary_database


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BasketStore]:
    """Each store: in memory, and the SQL one over SQLite and over PostgreSQL."""
    if request.param == "memory":
        yield InMemoryBasketStore()
        return
    async with temporary_database(request.param, tmp_path) as url:
        engine = create_engine(url)
        await migrate(engine)
        try:
            yield SqlBasketStore(engine=engine)
        finally:
            await engine.dispose()


def new(record_id: str, dataset: str = "ds", **extra: object) -> NewBasketItem:
    """An item as the service hands it to the store (its record encoded)."""
    if "record" in extra:
        extra["record_json"] = json.dumps(extra["record"], separators=(",", ":"))
    return NewBasketItem(dataset_id=dataset, record_id=record_id, archive_id="arc", **extra)  # type: ignore[arg-type]


async def test_add_is_insert_or_ignore(store: BasketStore) -> None:
    first = await store.add("u1", "default", [new("a"), new("b")], max_items=100)
    assert first.added == 2
    again = await store.add("u1", "default", [new("b"), new("c")], max_items=100)
    assert again.added == 1
    assert [i.record_id for i in again.items] == ["b", "c"]
    assert again.items[0].id == first.items[1].id
    basket = await store.get("u1", "default")
    assert basket is not None
    assert [i.record_id for i in basket.items] == ["a", "b", "c"]
    assert all(i.added_at.tzinfo is not None for i in basket.items)


async def test_fields_round_trip(store: BasketStore) -> None:
    record = {"k": [1, 2.5, None, "é"], "n": {"x": True}}
    item = new(
        "r",
        title="T",
        access_url="https://x/r",
        access_format="image/fits",
        size_bytes=2**40,
        ra=359.9,
        dec=-89.5,
        record=record,
    )
    await store.add("u1", "b", [item], max_items=10)
    basket = await store.get("u1", "b")
    assert basket is not None
    [got] = basket.items
    assert (got.title, got.access_url, got.access_format) == ("T", "https://x/r", "image/fits")
    assert (got.size_bytes, got.ra, got.dec) == (2**40, 359.9, -89.5)
    assert got.record == record
    assert (got.archive_id, got.dataset_id, got.basket) == ("arc", "ds", "b")


async def test_remove_clear_and_delete_act_on_the_owner_only(store: BasketStore) -> None:
    mine = await store.add("u1", "default", [new("a"), new("b")], max_items=10)
    theirs = await store.add("u2", "default", [new("a")], max_items=10)
    ids = [i.id for i in mine.items]
    assert await store.remove("u2", ids) == []
    assert await store.remove("u1", [ids[0], theirs.items[0].id, "junk", "-1"]) == [ids[0]]
    assert await store.clear("u2", "default") == 1
    u1 = await store.get("u1", "default")
    assert u1 is not None
    assert [i.record_id for i in u1.items] == ["b"]
    assert not await store.delete("u2", "missing")
    await store.add("u1", "named", [new("z")], max_items=10)
    assert not await store.delete("u2", "named")
    assert await store.delete("u1", "named")
    assert await store.get("u1", "named") is None
    assert [b.name for b in await store.list("u1")] == ["default"]


async def test_list_counts_items(store: BasketStore) -> None:
    await store.add("u1", "b2", [new("a"), new("b")], max_items=10)
    await store.add("u1", "b1", [new("a")], max_items=10)
    await store.clear("u1", "b1")
    listing = await store.list("u1")
    assert [(b.name, b.count) for b in listing] == [("b1", 0), ("b2", 2)]
    assert listing[0].updated_at is None
    assert listing[1].updated_at is not None
    assert await store.list("nobody") == []


async def test_a_full_basket_rolls_the_whole_call_back(store: BasketStore) -> None:
    await store.add("u1", "b", [new(str(i)) for i in range(4)], max_items=5)
    with pytest.raises(BasketFull):
        await store.add("u1", "b", [new("4"), new("5")], max_items=5)
    basket = await store.get("u1", "b")
    assert basket is not None
    assert basket.count == 4


async def test_the_migration_made_the_unique_key(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        await migrate(engine)  # applying twice is harmless
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
            uniques = await conn.run_sync(
                lambda c: sa.inspect(c).get_unique_constraints("basket_item")
            )
        assert {"basket", "basket_item", "alembic_version"} <= set(names)
        assert [u["column_names"] for u in uniques] == [["basket_id", "dataset_id", "record_id"]]
    finally:
        await engine.dispose()


async def test_the_migration_matches_the_table_classes(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    tables = sa.MetaData()
    for name in ("basket", "basket_item"):
        SQLModel.metadata.tables[name].to_metadata(tables)
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), tables)
            )
    finally:
        await engine.dispose()
    # Only differences on the two basket tables count; other features own other tables.
    ours = [d for d in diff if "basket" in repr(d)]
    assert ours == []


async def test_records_with_integers_beyond_64_bits_read_back(store: BasketStore) -> None:
    await store.add("u1", "default", [new("small", record={"n": 1})], max_items=100)
    await store.add(
        "u1", "default", [new("big", record={"n": 2**70, "m": [-(2**65)]})], max_items=100
    )
    basket = await store.get("u1", "default")
    assert basket is not None
    assert [i.record for i in basket.items] == [{"n": 1}, {"n": 2**70, "m": [-(2**65)]}]
    # items added in separate calls keep their own times, each aware
    assert all(i.added_at.tzinfo is not None for i in basket.items)
    assert basket.items[0].added_at <= basket.items[1].added_at
