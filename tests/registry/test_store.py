"""The harvested-record store: SQLite, PostgreSQL and in memory answer searches alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from esap_graphql.domain.registry import (
    RegistryCapability,
    RegistryResource,
    ServiceType,
    registry_query,
)
from esap_graphql.storage.database import create_engine, migrate
from esap_graphql.storage.memory_registry_store import MemoryRegistryStore
from esap_graphql.storage.registry_store import HarvestState, RegistryStore
from esap_graphql.storage.sql_registry_store import SqlRegistryStore
from tests.basket.conftest import temporary_database

SCS = RegistryCapability(
    "ivo://ivoa.net/std/ConeSearch", "https://a.test/scs.xml?", "vs:ParamHTTP", "std"
)
TAP = RegistryCapability("ivo://ivoa.net/std/TAP", "https://b.test/tap", "vs:ParamHTTP", "std")

RESOURCES = (
    RegistryResource(
        ivoid="ivo://a.test/lotss",
        title="LoTSS radio sources",
        description="LOFAR sources at 144 MHz; 100% complete above 1 mJy",
        publisher="ASTRON",
        subjects=("radio-sources",),
        wavebands=("radio",),
        capabilities=(SCS,),
        updated=datetime(2024, 1, 2, tzinfo=UTC),
        source="http://a.test/oai",
    ),
    RegistryResource(
        ivoid="ivo://b.test/Gaia",
        title="Gaia DR3",
        description="Optical astrometry",
        wavebands=("optical",),
        capabilities=(TAP,),
        source="http://b.test/oai",
    ),
)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RegistryStore]:
    if request.param == "memory":
        yield MemoryRegistryStore()
        return
    async with temporary_database(request.param, tmp_path) as url:
        engine = create_engine(url)
        await migrate(engine)
        try:
            yield SqlRegistryStore(engine=engine)
        finally:
            await engine.dispose()


def ivoids(found: list[RegistryResource]) -> list[str]:
    return [r.ivoid for r in found]


async def test_searches_by_word_type_and_band(store: RegistryStore) -> None:
    await store.put(RESOURCES, [None, None])
    assert await store.count() == 2
    assert ivoids(await store.search(registry_query("lofar", None, None))) == ["ivo://a.test/lotss"]
    assert ivoids(await store.search(registry_query("RADIO-sources 144", None, None))) == [
        "ivo://a.test/lotss"
    ]
    assert ivoids(await store.search(registry_query(None, ServiceType.TAP, None))) == [
        "ivo://b.test/Gaia"
    ]
    assert ivoids(await store.search(registry_query(None, None, "optical"))) == [
        "ivo://b.test/Gaia"
    ]
    assert await store.search(registry_query("lofar", ServiceType.TAP, None)) == []
    # LIKE's wildcards are plain characters in a keyword
    assert ivoids(await store.search(registry_query("100%", None, None))) == ["ivo://a.test/lotss"]
    assert await store.search(registry_query("%", None, None)) == []  # no word in it
    assert await store.search(registry_query("1_0", None, None)) == []  # "_" is no wildcard


async def test_records_round_trip_and_are_replaced_and_deleted(store: RegistryStore) -> None:
    await store.put(RESOURCES, [None, None])
    got = await store.get("IVO://A.TEST/LOTSS")
    assert got == RESOURCES[0]
    renamed = RegistryResource(ivoid="ivo://a.test/LoTSS", title="renamed", source="x")
    await store.put([renamed], [None])
    assert await store.count() == 2
    assert (await store.get("ivo://a.test/lotss")) == renamed
    await store.delete(["ivo://A.test/lotss"])
    assert await store.get("ivo://a.test/lotss") is None
    assert await store.count() == 1


async def test_harvest_state(store: RegistryStore) -> None:
    assert await store.harvest_state("http://a.test/oai") is None
    state = HarvestState(
        "http://a.test/oai",
        datetime(2024, 5, 1, tzinfo=UTC),
        datetime(2024, 5, 1, 1, tzinfo=UTC),
        7,
    )
    await store.save_harvest_state(state)
    assert await store.harvest_state("http://a.test/oai") == state


async def test_keywords_begin_words(store: RegistryStore) -> None:
    await store.put(RESOURCES, [None, None])
    assert ivoids(await store.search(registry_query("astrom", None, None))) == ["ivo://b.test/Gaia"]
    assert await store.search(registry_query("strometry", None, None)) == []
    assert ivoids(await store.search(registry_query("Sources", None, None))) == [
        "ivo://a.test/lotss"
    ]  # "radio-sources" counts as a word, and so do its parts
