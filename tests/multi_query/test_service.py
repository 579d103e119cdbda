"""The multi-query service and the per-request loaders, on in-memory connectors."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from esap_graphql.config import parse_catalogue
from esap_graphql.domain.archives import Protocol
from esap_graphql.domain.errors import ArchiveFailure, InvalidParameter
from esap_graphql.domain.query import Page, QueryParams
from esap_graphql.domain.records import ResultSet, ResultStatus
from esap_graphql.services.dataset_query import DatasetQueryService, QueryLimits
from esap_graphql.services.loaders import Loaders
from esap_graphql.services.multi_query import MultiQueryService
from esap_graphql.services.result_cache import ResultCache
from tests.support import InMemoryConnector, make_records

CATALOGUE = parse_catalogue(
    """
archives:
  - id: a
    name: A
    datasets:
      - {id: one, name: One, protocol: scs, access_url: "http://one.test/scs"}
      - {id: two, name: Two, protocol: scs, access_url: "http://two.test/scs"}
      - {id: three, name: Three, protocol: scs, access_url: "http://three.test/scs", timeout: 0.2}
      - {id: hidden, name: Hidden, protocol: scs, access_url: "http://h.test/scs",
         multi_query: false}
""",
    source="test",
)
CONE = QueryParams(ra=10.0, dec=20.0, radius=1.0)


def build(
    connector: InMemoryConnector, *, per_service: int = 4, max_datasets: int = 10
) -> tuple[DatasetQueryService, MultiQueryService]:
    queries = DatasetQueryService(
        catalogue=CATALOGUE,
        connectors={Protocol.SCS: connector},
        limits=QueryLimits(
            timeout=5,
            max_records=1000,
            max_page_size=100,
            per_service_concurrency=per_service,
            global_concurrency=10,
        ),
        cache=ResultCache[ResultSet](ttl=60, size=10),
    )
    return queries, MultiQueryService(
        catalogue=CATALOGUE, queries=queries, max_datasets=max_datasets
    )


def connector() -> InMemoryConnector:
    return InMemoryConnector(
        records={
            "one": make_records(30, prefix="one"),
            "two": make_records(5, prefix="two"),
            "three": make_records(3, prefix="three"),
        }
    )


async def test_each_dataset_gets_its_own_outcome_in_the_order_asked() -> None:
    fake = connector()
    fake.failures["two"] = ArchiveFailure("http://two.test/scs", "broken")
    queries, multi = build(fake)
    outcome = await multi.run(Loaders(queries), ["three", "two", "one", "nope"], CONE, Page(1, 10))
    assert [o.dataset_id for o in outcome.results] == ["three", "two", "one", "nope"]
    statuses = [o.status for o in outcome.results]
    assert statuses == [ResultStatus.OK, ResultStatus.ERROR, ResultStatus.OK, ResultStatus.ERROR]
    assert [o.total_count for o in outcome.results] == [3, None, 30, None]
    assert [r.id for r in outcome.results[2].rows] == [f"one-{i}" for i in range(10)]
    assert outcome.results[3].dataset is None
    assert outcome.results[3].error is not None
    assert outcome.results[3].error.code == "unknown_dataset"


async def test_default_selection_skips_datasets_not_marked_for_multi_query() -> None:
    queries, multi = build(connector())
    outcome = await multi.run(Loaders(queries), None, CONE, Page(1, 5))
    assert [o.dataset_id for o in outcome.results] == ["one", "two", "three"]


async def test_duplicates_are_asked_once_and_too_many_datasets_are_refused() -> None:
    fake = connector()
    queries, multi = build(fake, max_datasets=2)
    outcome = await multi.run(Loaders(queries), ["one", "one", "two"], CONE, Page(1, 5))
    assert [o.dataset_id for o in outcome.results] == ["one", "two"]
    assert sorted(call[0] for call in fake.calls) == ["one", "two"]
    with pytest.raises(InvalidParameter, match="at most 2 datasets"):
        multi.selection(["one", "two", "three"])


async def test_one_loader_sends_each_distinct_query_once() -> None:
    fake = connector()
    queries, _ = build(fake)
    loaders = Loaders(queries)
    dataset = queries.dataset("one")
    same = [loaders.query(dataset, CONE, Page(page, 10)) for page in (1, 1, 2, 3)]
    other = loaders.query(dataset, replace(CONE, radius=2.0), Page(1, 10))
    outcomes = await asyncio.gather(*same, other)
    assert len(fake.calls) == 2
    assert [o.page.number for o in outcomes[:4]] == [1, 1, 2, 3]
    assert [r.id for r in outcomes[3].rows] == [f"one-{i}" for i in range(20, 30)]


async def test_a_slow_dataset_times_out_alone() -> None:
    fake = connector()
    fake.delays["three"] = 5.0  # its own timeout is 0.2 s
    fake.delays["one"] = 0.1
    queries, multi = build(fake)
    outcome = await multi.run(Loaders(queries), ["one", "two", "three"], CONE, Page(1, 5))
    assert [o.status for o in outcome.results] == [
        ResultStatus.OK,
        ResultStatus.OK,
        ResultStatus.TIMEOUT,
    ]


async def test_the_stream_yields_fastest_first() -> None:
    fake = connector()
    fake.delays.update({"one": 0.3, "two": 0.0, "three": 0.1})
    _queries, multi = build(fake)
    seen = [o.dataset_id async for o in multi.stream(None, CONE, Page(1, 5))]
    assert seen == ["two", "three", "one"]


async def test_per_service_bound_holds_across_datasets_of_one_service() -> None:
    running = 0
    peak = 0
    fake = connector()

    def track(dataset: object, params: object) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        asyncio.get_running_loop().call_later(0.05, _done)

    def _done() -> None:
        nonlocal running
        running -= 1

    fake.on_query = track
    fake.delays["one"] = 0.05
    queries, _ = build(fake, per_service=2)
    loaders = Loaders(queries)
    dataset = queries.dataset("one")
    radii = [0.1 * (i + 1) for i in range(6)]
    await asyncio.gather(
        *(loaders.query(dataset, replace(CONE, radius=r), Page(1, 5)) for r in radii)
    )
    assert len(fake.calls) == 6
    assert peak == 2
