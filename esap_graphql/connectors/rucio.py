"""The Rucio data lake: scopes, and data identifiers searched by scope and name pattern.

rucio-clients is synchronous (requests), so every call runs in this
connector's own small thread pool, never on the event loop, and is bounded
twice: by ``asyncio.timeout`` around the await (the caller always gets its
answer in time) and by the client's own per-request timeout (the thread ends
soon after). A call given up on is flagged, so its thread stops reading
further results, and its client object is discarded rather than reused.
The client itself is behind ``RucioApi`` (``connectors/rucio_client.py``).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import quote_plus

from rucio.common.utils import build_url

from esap_graphql.connectors.params import fixed_collection, refuse
from esap_graphql.connectors.rucio_client import (
    RucioApi,
    RucioApiFactory,
    RucioClientFactory,
    rucio_settings,
)
from esap_graphql.connectors.rucio_records import (
    COLUMNS,
    check_dids,
    did_key,
    replica_index,
    to_record,
)
from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.data_lake import ANY_NAME, RucioSettings, check_name_pattern, check_scope
from esap_graphql.domain.errors import ArchiveTimeout, InvalidParameter, MalformedResponse
from esap_graphql.domain.query import QueryParams
from esap_graphql.domain.records import Capability, ResultSet, TableInfo

T = TypeVar("T")
PoolKey = tuple[str, str, RucioSettings]

_SUPPORTED = {"collection", "target"}
#: Files whose replicas one ``list_replicas`` request asks for.
REPLICA_BATCH = 500


def scope_and_pattern(dataset: Dataset, params: QueryParams) -> tuple[str, str]:
    """The scope and the literal name pattern of a search; raise ``UsageError``."""
    refuse(dataset, params, supported=_SUPPORTED)
    settings = rucio_settings(dataset)
    scope = fixed_collection(dataset, params) or settings.default_scope
    if scope is None:
        raise InvalidParameter("collection", f"dataset {dataset.id!r} needs a scope to search")
    return check_scope(scope), check_name_pattern(params.target or ANY_NAME)


def search_url(dataset: Dataset, scope: str, pattern: str) -> str:
    """The URL rucio-clients' ``list_dids`` sends for this search, built as it builds it."""
    params = {
        "type": rucio_settings(dataset).did_type.value,
        "filters": [{"name": pattern}],
        "long": True,
        "recursive": False,
    }
    url: str = build_url(
        dataset.access_url.rstrip("/"), path=f"dids/{quote_plus(scope)}/dids/search", params=params
    )
    return url


class RucioConnector:
    """Queries Rucio servers through rucio-clients, in threads, with timeouts."""

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        api_factory: RucioApiFactory | None = None,
        max_threads: int = 8,
    ) -> None:
        self._own_factory: RucioClientFactory | None = None
        if api_factory is None:
            api_factory = self._own_factory = RucioClientFactory(
                environ=dict(os.environ if environ is None else environ)
            )
        self._factory = api_factory
        self._max_threads = max_threads
        self._executor: ThreadPoolExecutor | None = None
        self._idle: dict[PoolKey, list[RucioApi]] = {}
        self._lock = threading.Lock()

    # -- the Connector interface

    def native_query(self, dataset: Dataset, params: QueryParams, *, limit: int) -> str:
        """The DID search URL, as rucio-clients sends it."""
        return search_url(dataset, *scope_and_pattern(dataset, params))

    async def query(
        self, dataset: Dataset, params: QueryParams, *, limit: int, timeout: float
    ) -> ResultSet:
        """Search DIDs; at most ``limit`` records, files with their replicas."""
        scope, pattern = scope_and_pattern(dataset, params)
        settings = rucio_settings(dataset)
        url = dataset.access_url

        def search(api: RucioApi, stop: threading.Event) -> ResultSet:
            dids = check_dids(
                api.list_dids(scope, pattern, settings.did_type.value, limit=limit + 1, stop=stop),
                url=url,
            )
            overflow = len(dids) > limit
            dids = sorted(dids[:limit], key=did_key)
            files = [did_key(d) for d in dids if d["did_type"] == "FILE"]
            found: dict[tuple[str, str], dict[str, Any]] = {}
            for start in range(0, len(files), REPLICA_BATCH):
                answer = api.list_replicas(
                    files[start : start + REPLICA_BATCH], schemes=settings.schemes, stop=stop
                )
                found.update(replica_index(answer, url=url, schemes=settings.schemes))
            return ResultSet(
                records=tuple(to_record(d, found.get(did_key(d))) for d in dids),
                native_query=search_url(dataset, scope, pattern),
                columns=COLUMNS,
                overflow=overflow,
            )

        return await self._call(dataset, timeout, search)

    async def tables(self, dataset: Dataset, *, timeout: float) -> tuple[TableInfo, ...]:
        """One table: the columns every record of a Rucio search has."""
        return (
            TableInfo(
                name=dataset.id,
                description=dataset.description or "Data identifiers and their replicas.",
                columns=COLUMNS,
            ),
        )

    async def capabilities(self, dataset: Dataset, *, timeout: float) -> tuple[Capability, ...]:
        """The Rucio REST API and its authentication server (from the configuration)."""
        settings = rucio_settings(dataset)
        return (
            Capability(standard_id="rucio:rest-api", access_url=dataset.access_url, role="dids"),
            Capability(
                standard_id="rucio:auth",
                access_url=settings.auth_host,
                role=settings.auth_type.value,
            ),
        )

    # -- beyond the Connector interface

    async def scopes(self, dataset: Dataset, *, timeout: float) -> tuple[str, ...]:
        """Every scope of the dataset's Rucio server, sorted."""
        rucio_settings(dataset)
        names = await self._call(dataset, timeout, lambda api, _stop: api.list_scopes())
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise MalformedResponse(dataset.access_url, "scopes: expected a list of names")
        return tuple(sorted(names))

    async def aclose(self) -> None:
        """Stop the worker threads (a stuck one ends at its request timeout) and forget tokens."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        with self._lock:
            idle = [api for apis in self._idle.values() for api in apis]
            self._idle.clear()
        for api in idle:
            api.close()
        if self._own_factory is not None:
            self._own_factory.close()

    # -- threads and the client pool

    @staticmethod
    def _pool_key(dataset: Dataset) -> PoolKey:
        return dataset.id, dataset.access_url, rucio_settings(dataset)

    def _checkout(self, dataset: Dataset, timeout: float) -> RucioApi:
        with self._lock:
            idle = self._idle.get(self._pool_key(dataset))
            if idle:
                return idle.pop()
        return self._factory(dataset, timeout)

    def _checkin(self, dataset: Dataset, api: RucioApi) -> None:
        with self._lock:
            idle = self._idle.setdefault(self._pool_key(dataset), [])
            if len(idle) < self._max_threads:
                idle.append(api)
                return
        api.close()

    async def _call(
        self, dataset: Dataset, timeout: float, work: Callable[[RucioApi, threading.Event], T]
    ) -> T:
        stop = threading.Event()

        def run() -> T:
            api = self._checkout(dataset, timeout)
            reusable = False
            try:
                result = work(api, stop)
                reusable = not stop.is_set()
                return result
            finally:
                if reusable:
                    self._checkin(dataset, api)
                else:
                    api.close()

        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._max_threads, thread_name_prefix="rucio")
        future = asyncio.get_running_loop().run_in_executor(self._executor, run)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError as exc:
            stop.set()
            raise ArchiveTimeout(dataset.access_url, timeout) from exc
        except BaseException:
            stop.set()
            raise
