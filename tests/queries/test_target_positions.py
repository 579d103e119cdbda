"""A target name: the name itself where a dataset searches its target column, else a cone.

The rule asks the real connectors what each dataset accepts (they build, never
send, a query here), over the DaCHS test catalogue's datasets and http ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from esap_graphql.config import load_catalogue
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.domain.archives import Catalogue, Dataset
from esap_graphql.domain.names import NameNotResolved
from esap_graphql.domain.query import QueryParams
from esap_graphql.factory import protocol_connectors
from esap_graphql.services.name_resolution import InMemoryNameSource, NameResolutionService
from esap_graphql.services.target_positions import TargetPositions
from tests.queries.http_json_support import http_dataset
from tests.support import DACHS_CATALOGUE

CATALOGUE: Catalogue = load_catalogue(DACHS_CATALOGUE)
FIELD_A = (200.0, 50.0)


def dachs(dataset_id: str) -> Dataset:
    found = CATALOGUE.dataset(dataset_id)
    assert found is not None
    return found


CONE_ONLY_HTTP = http_dataset(
    "https://a.org/api", "parameters: {ra: ra, dec: dec, radius: sr}\nanswer: {records: r}\n"
)
TARGET_HTTP = http_dataset(
    "https://a.org/api",
    "parameters: {target: name, ra: ra, dec: dec, radius: sr}\nanswer: {records: r}\n",
)
NO_POSITION_HTTP = http_dataset(
    "https://a.org/api", "parameters: {collection: c}\nanswer: {records: r}\n"
)


@pytest.fixture
async def targets() -> AsyncIterator[tuple[TargetPositions, InMemoryNameSource]]:
    source = InMemoryNameSource({"ESAP Field A": FIELD_A})
    names = NameResolutionService(source=source, ttl=60, not_found_ttl=60, size=10)
    async with httpx.AsyncClient() as http:
        yield (
            TargetPositions(
                names=names,
                connectors=protocol_connectors(ServiceClients.sharing(http)),
                default_radius=0.1,
            ),
            source,
        )


@pytest.mark.parametrize(
    "dataset", [dachs("esap-sources"), dachs("esap-sources-tap"), CONE_ONLY_HTTP]
)
async def test_position_only_datasets_get_the_cone_around_the_name(
    targets: tuple[TargetPositions, InMemoryNameSource], dataset: Dataset
) -> None:
    positions, _ = targets
    assert not positions.searches_by_name(dataset)
    placed = await positions.place(dataset, QueryParams(target="ESAP Field A"))
    assert placed == QueryParams(ra=200.0, dec=50.0, radius=0.1)
    wider = await positions.place(dataset, QueryParams(target="ESAP Field A", radius=2.0))
    assert wider == QueryParams(ra=200.0, dec=50.0, radius=2.0)


@pytest.mark.parametrize(
    "dataset", [dachs("esap-obscore"), dachs("esap-images"), dachs("esap-sia"), TARGET_HTTP]
)
async def test_datasets_with_a_target_column_get_the_name_itself(
    targets: tuple[TargetPositions, InMemoryNameSource], dataset: Dataset
) -> None:
    positions, source = targets
    assert positions.searches_by_name(dataset)
    params = QueryParams(target="ESAP Field A", collection=None)
    assert await positions.place(dataset, params) == params
    # a radius means nothing without a position: dropped, not sent alone
    assert await positions.place(dataset, QueryParams(target="ESAP Field A", radius=1.0)) == params
    assert source.lookups == 0


async def test_a_position_given_with_the_name_is_left_to_the_dataset(
    targets: tuple[TargetPositions, InMemoryNameSource],
) -> None:
    positions, source = targets
    params = QueryParams(target="ESAP Field A", ra=1.0, dec=2.0, radius=0.5)
    assert await positions.place(dachs("esap-sources"), params) == params
    assert source.lookups == 0


async def test_a_dataset_without_positions_keeps_the_name(
    targets: tuple[TargetPositions, InMemoryNameSource],
) -> None:
    positions, source = targets
    params = QueryParams(target="ESAP Field A")
    assert await positions.place(NO_POSITION_HTTP, params) == params
    assert source.lookups == 0


async def test_an_unknown_name_is_name_not_resolved(
    targets: tuple[TargetPositions, InMemoryNameSource],
) -> None:
    positions, _ = targets
    with pytest.raises(NameNotResolved) as caught:
        await positions.place(dachs("esap-sources"), QueryParams(target="Nowhere 9"))
    assert caught.value.name == "Nowhere 9"
