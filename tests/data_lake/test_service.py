"""DataLakeService: which datasets are data lakes, and their scopes bounded and cached."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import AsyncIterator

import pytest

from esap_graphql.connectors.rucio import RucioConnector
from esap_graphql.domain.archives import Archive, Catalogue, Dataset, Protocol
from esap_graphql.domain.errors import ArchiveTimeout, InvalidParameter, UnknownDataset
from esap_graphql.services.data_lake import DataLakeService
from tests.data_lake.support import InMemoryRucio, lake

TAP = Dataset(
    id="tap", archive_id="a", name="TAP", protocol=Protocol.TAP, access_url="https://tap.test"
)


@pytest.fixture
async def connectors() -> AsyncIterator[list[RucioConnector]]:
    """Connectors made by a test, closed after it."""
    made: list[RucioConnector] = []
    yield made
    for connector in made:
        await connector.aclose()


def service(
    server: InMemoryRucio, made: list[RucioConnector], *, timeout: float = 5.0
) -> DataLakeService:
    catalogue = Catalogue(archives=(Archive(id="a", name="A", datasets=(lake(), TAP)),))
    made.append(RucioConnector(api_factory=server.factory, max_threads=2))
    return DataLakeService.over(
        {Protocol.RUCIO: made[-1]}, catalogue=catalogue, timeout=timeout, cache_ttl=60
    )


async def test_scopes_are_fetched_once_then_cached(connectors: list[RucioConnector]) -> None:
    server = InMemoryRucio(scopes=["lofar", "apertif", "user.jdoe"])
    lakes = service(server, connectors)
    dataset = lakes.data_lake("lake")
    first = await lakes.scopes(dataset)
    second = await lakes.scopes(dataset)
    assert first == (("apertif", "lofar", "user.jdoe"), False)
    assert second == (("apertif", "lofar", "user.jdoe"), True)
    assert server.calls == [("list_scopes",)]


async def test_only_rucio_datasets_are_data_lakes(connectors: list[RucioConnector]) -> None:
    lakes = service(InMemoryRucio(), connectors)
    with pytest.raises(UnknownDataset):
        lakes.data_lake("nope")
    with pytest.raises(InvalidParameter, match="'tap' \\(tap\\) is not a Rucio data lake"):
        lakes.data_lake("tap")


async def test_a_slow_server_times_out_and_failures_are_not_cached(
    connectors: list[RucioConnector],
) -> None:
    server = InMemoryRucio(block=threading.Event())
    lakes = service(server, connectors, timeout=0.2)
    dataset = dataclasses.replace(lakes.data_lake("lake"), timeout=0.2)
    with pytest.raises(ArchiveTimeout):
        await lakes.scopes(dataset)
    server.block = None
    assert (await lakes.scopes(dataset))[1] is False


async def test_without_a_rucio_connector_scopes_are_refused() -> None:
    catalogue = Catalogue(archives=(Archive(id="a", name="A", datasets=(lake(),)),))
    lakes = DataLakeService.over({}, catalogue=catalogue, timeout=1, cache_ttl=0)
    with pytest.raises(InvalidParameter, match="no Rucio connector"):
        await lakes.scopes(lakes.data_lake("lake"))
