"""Basket rules in the service, over the in-memory store."""

from __future__ import annotations

import pytest

from esap_graphql.domain.basket import (
    BasketLimits,
    ExportFormat,
    InvalidBasketName,
    NewBasketItem,
    RecordTooLarge,
    TooManyItems,
    check_basket_name,
)
from esap_graphql.domain.errors import InvalidParameter, UnknownDataset
from esap_graphql.domain.users import LOCAL_USER, User
from esap_graphql.services.basket import BasketService
from esap_graphql.storage.memory_basket_store import InMemoryBasketStore
from tests.basket.conftest import catalogue

ALICE = User(id="issuer|alice")


def service(**limits: int) -> BasketService:
    return BasketService(
        store=InMemoryBasketStore(), catalogue=catalogue(), limits=BasketLimits(**limits)
    )


def item(record_id: str, dataset: str = "apertif-dr1", **extra: object) -> NewBasketItem:
    return NewBasketItem(dataset_id=dataset, record_id=record_id, **extra)  # type: ignore[arg-type]


async def test_items_are_stamped_with_their_archive_and_deduplicated() -> None:
    baskets = service()
    outcome = await baskets.add(ALICE, [item("a"), item("a"), item("b", "lotss-dr2")])
    assert outcome.added == 2
    assert outcome.basket == "default"
    assert {i.archive_id for i in outcome.items} == {"astron"}


async def test_limits_are_the_configured_ones() -> None:
    baskets = service(max_items_per_call=3, max_record_bytes=20)
    with pytest.raises(TooManyItems) as many:
        await baskets.add(ALICE, [item(str(i)) for i in range(4)])
    assert (many.value.given, many.value.limit) == (4, 3)
    with pytest.raises(TooManyItems):
        await baskets.remove(ALICE, ["1", "2", "3", "4"])
    with pytest.raises(RecordTooLarge) as large:
        await baskets.add(ALICE, [item("r", record={"k": "v" * 20})])
    assert large.value.limit == 20
    # 20 bytes exactly is allowed; sizes count UTF-8 bytes, not characters.
    await baskets.add(ALICE, [item("ok", record={"k": "v" * 12})])
    with pytest.raises(RecordTooLarge):
        await baskets.add(ALICE, [item("wide", record={"k": "é" * 7})])


async def test_unknown_datasets_and_bad_values() -> None:
    baskets = service()
    with pytest.raises(UnknownDataset):
        await baskets.add(ALICE, [item("a", "gone")])
    with pytest.raises(InvalidParameter, match=r"items\[0\].dec"):
        await baskets.add(ALICE, [item("a", dec=-91.0)])
    with pytest.raises(InvalidParameter, match="JSON object"):
        await baskets.add(ALICE, [item("a", record="text")])
    assert (await baskets.basket(ALICE)).count == 0


def test_basket_names() -> None:
    assert check_basket_name(None) == "default"
    assert check_basket_name("Project_2024.v1-b") == "Project_2024.v1-b"
    for bad in ("", " x", "a/b", "-x", "x" * 65, "ünï"):
        with pytest.raises(InvalidBasketName):
            check_basket_name(bad)


async def test_the_default_basket_is_always_listed_first_when_present() -> None:
    baskets = service()
    assert [b.name for b in await baskets.baskets(ALICE)] == ["default"]
    await baskets.add(ALICE, [item("a")], "alpha")
    assert [b.name for b in await baskets.baskets(ALICE)] == ["default", "alpha"]
    assert await baskets.baskets(LOCAL_USER) == [b for b in await baskets.baskets(LOCAL_USER)]


async def test_export_marks_items_of_datasets_no_longer_configured() -> None:
    store = InMemoryBasketStore()
    before = BasketService(store=store, catalogue=catalogue(), limits=BasketLimits())
    await before.add(ALICE, [item("a"), item("b", "lotss-dr2")])
    after = BasketService(
        store=store, catalogue=catalogue(without="lotss-dr2"), limits=BasketLimits()
    )
    body = await after.export(ALICE, None, ExportFormat.CSV)
    lines = body.decode().splitlines()
    assert lines[1].split(",")[3] == "True"
    assert lines[2].split(",")[3] == "False"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
async def test_records_holding_nan_or_infinity_are_refused(bad: float) -> None:
    baskets = service()
    with pytest.raises(InvalidParameter) as refused:
        await baskets.add(ALICE, [item("ok"), item("bad", record={"v": [1, {"x": bad}]})])
    assert refused.value.parameter == "items[1].record"
    assert "NaN or infinite" in refused.value.message
    assert (await baskets.basket(ALICE)).count == 0  # nothing of the call was kept


async def test_a_record_is_stored_as_exactly_the_bytes_measured() -> None:
    # 20 characters of "é" are 40 UTF-8 bytes; as ASCII-escaped JSON they would be 120
    record = {"k": "é" * 20}
    measured = len('{"k":""}') + 40
    baskets = service(max_record_bytes=measured)
    added = await baskets.add(ALICE, [item("r", record=record)])
    assert added.added == 1
    assert (await baskets.basket(ALICE)).items[0].record == record
    with pytest.raises(RecordTooLarge):
        await service(max_record_bytes=measured - 1).add(ALICE, [item("r", record=record)])
