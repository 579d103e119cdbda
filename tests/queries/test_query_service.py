"""The dataset query service: limits, timeouts, concurrency bounds, caching and paging."""

from __future__ import annotations

import asyncio
import textwrap

import pytest

from esap_graphql.config import parse_catalogue
from esap_graphql.domain.archives import Dataset, Protocol
from esap_graphql.domain.errors import (
    ArchiveTimeout,
    ArchiveUnreachable,
    InvalidParameter,
    UnknownDataset,
    UnsupportedParameter,
)
from esap_graphql.domain.query import Page, QueryParams
from esap_graphql.domain.records import ResultSet, ResultStatus
from esap_graphql.services.dataset_query import DatasetQueryService, QueryLimits
from esap_graphql.services.result_cache import ResultCache
from tests.support import InMemoryConnector, make_records

CATALOGUE = parse_catalogue(
    textwrap.dedent(
        """\
        archives:
          - id: arch
            name: Archive
            datasets:
              - id: big
                name: Big
                protocol: tap
                access_url: http://one.test/tap
                table: ivoa.obscore
              - id: capped
                name: Capped
                protocol: tap
                access_url: http://one.test/tap
                table: ivoa.obscore
                max_records: 10
              - id: quick
                name: Quick timeout
                protocol: scs
                access_url: http://two.test/scs
                timeout: 0.05
              - id: other
                name: Other service
                protocol: scs
                access_url: http://three.test/scs/
        """
    ),
    source="test",
)


def service(
    connector: InMemoryConnector,
    *,
    max_records: int = 100,
    per_service: int = 4,
    global_: int = 64,
    ttl: float = 300,
    timeout: float = 5.0,
) -> DatasetQueryService:
    return DatasetQueryService(
        catalogue=CATALOGUE,
        connectors={Protocol.TAP: connector, Protocol.SCS: connector, Protocol.SIA: connector},
        limits=QueryLimits(
            timeout=timeout,
            max_records=max_records,
            max_page_size=1000,
            per_service_concurrency=per_service,
            global_concurrency=global_,
        ),
        cache=ResultCache[ResultSet](ttl=ttl, size=16),
    )


def dataset(dataset_id: str) -> Dataset:
    found = CATALOGUE.dataset(dataset_id)
    assert found is not None
    return found


CONE = QueryParams(ra=10.0, dec=10.0, radius=1.0)


async def test_run_returns_the_page_and_the_total() -> None:
    connector = InMemoryConnector(records={"big": make_records(25)})
    outcome = await service(connector).run(dataset("big"), CONE, Page(2, 10))
    assert outcome.error is None
    assert outcome.status is ResultStatus.OK
    assert outcome.total_count == 25
    assert [r.id for r in outcome.rows] == [f"rec-{i}" for i in range(10, 20)]
    assert outcome.native_query is not None
    assert outcome.native_query.startswith("memory:big")
    assert outcome.from_cache is False
    assert outcome.elapsed_ms >= 0


async def test_record_limit_is_the_smaller_of_dataset_and_settings() -> None:
    connector = InMemoryConnector(records={"big": make_records(50), "capped": make_records(50)})
    queries = service(connector, max_records=20)
    big = await queries.run(dataset("big"), CONE, Page(1, 100))
    capped = await queries.run(dataset("capped"), CONE, Page(1, 100))
    assert (big.total_count, big.status) == (20, ResultStatus.OVERFLOW)
    assert (capped.total_count, capped.status) == (10, ResultStatus.OVERFLOW)


async def test_equal_queries_are_answered_from_the_cache() -> None:
    connector = InMemoryConnector(records={"big": make_records(5)})
    queries = service(connector)
    first = await queries.run(dataset("big"), CONE, Page(1, 2))
    second = await queries.run(dataset("big"), QueryParams(ra=10, dec=10, radius=1), Page(2, 2))
    assert (first.from_cache, second.from_cache) == (False, True)
    assert len(connector.calls) == 1
    assert [r.id for r in second.rows] == ["rec-2", "rec-3"]
    await queries.run(dataset("big"), QueryParams(ra=10.0, dec=10.0, radius=2.0), Page())
    assert len(connector.calls) == 2


async def test_failures_are_outcomes_and_are_not_cached() -> None:
    connector = InMemoryConnector(
        failures={"big": ArchiveUnreachable("http://one.test/tap", "refused")}
    )
    queries = service(connector)
    outcome = await queries.run(dataset("big"), CONE, Page())
    assert outcome.status is ResultStatus.ERROR
    assert isinstance(outcome.error, ArchiveUnreachable)
    assert outcome.total_count is None
    assert outcome.rows == ()
    assert outcome.native_query is not None  # the expert still sees what was tried
    del connector.failures["big"]
    connector.records["big"] = make_records(3)
    again = await queries.run(dataset("big"), CONE, Page())
    assert again.total_count == 3
    assert len(connector.calls) == 2


async def test_dataset_timeout_becomes_archive_timeout() -> None:
    connector = InMemoryConnector(records={"quick": make_records(1)}, delays={"quick": 1.0})
    outcome = await service(connector).run(dataset("quick"), CONE, Page())
    assert outcome.status is ResultStatus.TIMEOUT
    assert isinstance(outcome.error, ArchiveTimeout)
    assert outcome.error.seconds == 0.05
    assert outcome.error.url == "http://two.test/scs"
    assert outcome.elapsed_ms < 900


async def test_settings_timeout_applies_when_the_dataset_sets_none() -> None:
    connector = InMemoryConnector(records={"big": make_records(1)}, delays={"big": 1.0})
    outcome = await service(connector, timeout=0.05).run(dataset("big"), CONE, Page())
    assert isinstance(outcome.error, ArchiveTimeout)
    assert outcome.error.seconds == 0.05


async def test_per_service_concurrency_is_bounded() -> None:
    running = 0
    peak = 0

    class Tracking(InMemoryConnector):
        async def query(
            self, dataset: Dataset, params: QueryParams, *, limit: int, timeout: float
        ) -> ResultSet:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            try:
                await asyncio.sleep(0.02)
                return await super().query(dataset, params, limit=limit, timeout=timeout)
            finally:
                running -= 1

    connector = Tracking(records={"big": make_records(1), "capped": make_records(1)})
    queries = service(connector, per_service=2, ttl=0)
    # big and capped share http://one.test/tap; distinct queries so nothing is shared
    await asyncio.gather(
        *(
            queries.run(dataset(d), QueryParams(ra=float(i), dec=0.0, radius=1.0), Page())
            for i in range(6)
            for d in ("big", "capped")
        )
    )
    assert len(connector.calls) == 12
    assert peak == 2


async def test_global_concurrency_is_bounded() -> None:
    running = 0
    peak = 0

    class Tracking(InMemoryConnector):
        async def query(
            self, dataset: Dataset, params: QueryParams, *, limit: int, timeout: float
        ) -> ResultSet:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            try:
                await asyncio.sleep(0.02)
                return await super().query(dataset, params, limit=limit, timeout=timeout)
            finally:
                running -= 1

    connector = Tracking()
    queries = service(connector, per_service=10, global_=3, ttl=0)
    await asyncio.gather(
        *(
            queries.run(dataset(d), QueryParams(ra=float(i), dec=0.0, radius=1.0), Page())
            for i in range(4)
            for d in ("big", "quick", "other")
        )
    )
    assert peak == 3


async def test_concurrent_equal_queries_reach_the_archive_once() -> None:
    connector = InMemoryConnector(records={"big": make_records(4)}, delays={"big": 0.05})
    queries = service(connector, ttl=0)
    outcomes = await asyncio.gather(
        *(queries.run(dataset("big"), CONE, Page(n, 1)) for n in (1, 2, 3, 4))
    )
    assert len(connector.calls) == 1
    assert [o.rows[0].id for o in outcomes] == ["rec-0", "rec-1", "rec-2", "rec-3"]


def test_unknown_dataset() -> None:
    with pytest.raises(UnknownDataset) as caught:
        service(InMemoryConnector()).dataset("nope")
    assert caught.value.dataset_id == "nope"


def test_pages_are_validated_against_the_page_size_limit() -> None:
    queries = service(InMemoryConnector())
    assert queries.page(2, 5) == Page(2, 5)
    with pytest.raises(InvalidParameter) as caught:
        queries.page(1, 1001)
    assert caught.value.parameter == "pageSize"
    with pytest.raises(InvalidParameter) as caught:
        queries.page(0, 10)
    assert caught.value.parameter == "page"


async def test_usage_errors_from_the_connector_become_outcomes() -> None:
    class Refusing(InMemoryConnector):
        def native_query(self, dataset: Dataset, params: QueryParams, *, limit: int) -> str:
            raise UnsupportedParameter("target", dataset.id, "scs")

    connector = Refusing()
    outcome = await service(connector).run(dataset("other"), QueryParams(target="x"), Page())
    assert isinstance(outcome.error, UnsupportedParameter)
    assert outcome.native_query is None
    assert connector.calls == []


async def test_tables_filter_by_name_ignoring_case() -> None:
    queries = service(InMemoryConnector())
    assert [t.name for t in await queries.tables(dataset("big"))] == ["big"]
    assert [t.name for t in await queries.tables(dataset("big"), name="BIG")] == ["big"]
    assert await queries.tables(dataset("big"), name="other") == ()
