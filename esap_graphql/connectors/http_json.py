"""REST/JSON archives (``protocol: http``): requests and answers as the catalogue describes them.

One query is one or more GETs: the first with our parameters in the
archive's vocabulary, the next ones as its paging style says (page number,
offset, cursor, or the next page's URL from the answer or its ``Link``
header), until the record limit, the last page, or the dataset's page cap.
Every request is bounded by the timeout and the answer size cap; a next-page
URL is followed only on the configured origin (``follow_up``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

import httpx

from esap_graphql.connectors.follow_up import follow_up_url, same_origin
from esap_graphql.connectors.http import ServiceClients, exchange
from esap_graphql.connectors.http_json_answer import AnswerPage, read_answer
from esap_graphql.connectors.http_json_request import (
    api_of,
    build_url,
    page_pairs,
    query_pairs,
    request_headers,
)
from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.http_api import HttpApi, PagingStyle
from esap_graphql.domain.query import QueryParams
from esap_graphql.domain.records import Capability, ColumnInfo, Record, ResultSet, TableInfo

# Answers larger than this are read in a worker thread, off the event loop.
_THREAD_THRESHOLD = 256 * 1024


class HttpJsonConnector:
    """Queries archives that answer JSON over plain HTTP."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient | ServiceClients,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._clients = http if isinstance(http, ServiceClients) else ServiceClients.sharing(http)
        # read when a request is sent, so a rotated secret needs no restart
        self._environ = environ if environ is not None else os.environ

    def _first_url(self, dataset: Dataset, params: QueryParams, *, limit: int) -> str:
        api = api_of(dataset)
        size = min(api.paging.page_size, limit)
        cursor = api.paging.first_cursor if api.paging.style is PagingStyle.CURSOR else None
        pairs = query_pairs(dataset, params) + page_pairs(
            api.paging, index=0, offset=0, size=size, cursor=cursor
        )
        return build_url(dataset.access_url, pairs)

    def native_query(self, dataset: Dataset, params: QueryParams, *, limit: int) -> str:
        """The URL of the first request (credentials travel in a header, never here)."""
        return self._first_url(dataset, params, limit=limit)

    async def _page(
        self, client: httpx.AsyncClient, dataset: Dataset, url: str, *, timeout: float
    ) -> tuple[str, AnswerPage]:
        api = api_of(dataset)
        headers = dict(api.headers)
        if same_origin(url, dataset.access_url):
            # credentials go to the configured origin only, never where an answer points
            headers = request_headers(api, self._environ, url=url)
        max_bytes = min(api.max_response_bytes, self._clients.max_answer_bytes)
        async with exchange(
            client,
            "GET",
            url,
            service_url=dataset.access_url,
            headers=headers,
            timeout=timeout,
            max_bytes=max_bytes,
            budget=self._clients.budget,
            policy=self._clients.policy,
        ) as answer:
            link = answer.headers.get("link")
            if len(answer.body) > _THREAD_THRESHOLD:
                page = await asyncio.to_thread(
                    read_answer, answer.body, api, url=answer.url, link_header=link
                )
            else:
                page = read_answer(answer.body, api, url=answer.url, link_header=link)
        return answer.url, page

    def _next_url(
        self,
        dataset: Dataset,
        base_pairs: list[tuple[str, str]],
        page: AnswerPage,
        *,
        answered_at: str,
        index: int,
        received: int,
        size: int,
        cursor: str | None,
    ) -> str | None:
        """The URL of request ``index + 1``, or None when the answer was the last page."""
        api = api_of(dataset)
        paging = api.paging
        style = paging.style
        if style is PagingStyle.NONE or not page.records:
            return None
        if style is PagingStyle.LINK:
            if page.next is None:
                return None
            url = follow_up_url(
                page.next,
                base=answered_at,
                configured=dataset.access_url,
                policy=self._clients.policy,
            )
            return None if url == answered_at else url
        if style is PagingStyle.CURSOR:
            if page.next is None or page.next == cursor:
                return None
            pairs = page_pairs(
                paging, index=index + 1, offset=received, size=size, cursor=page.next
            )
            return build_url(dataset.access_url, base_pairs + pairs)
        # page number or offset: the answer may say there is no more (its total,
        # or a null "next" indicator); otherwise a short page is the last one
        if api.answer.next is not None and page.next is None:
            return None
        if page.total is not None:
            if received >= page.total:
                return None
        elif len(page.records) < size:
            return None
        pairs = page_pairs(paging, index=index + 1, offset=received, size=size, cursor=None)
        return build_url(dataset.access_url, base_pairs + pairs)

    async def query(
        self, dataset: Dataset, params: QueryParams, *, limit: int, timeout: float
    ) -> ResultSet:
        """Fetch pages until ``limit`` records, the last page or the page cap."""
        api: HttpApi = api_of(dataset)
        base_pairs = query_pairs(dataset, params)
        url = first = self._first_url(dataset, params, limit=limit)
        size = min(api.paging.page_size, limit)
        cursor = api.paging.first_cursor
        client = self._clients.for_service(dataset.service_key)
        records: list[Record] = []
        columns: dict[str, None] = {}
        total: int | None = None
        more = False
        # the archive's offset counts the records it sent, the limit cuts ours
        received = 0
        for index in range(api.paging.max_pages):
            answered_at, page = await self._page(client, dataset, url, timeout=timeout)
            received += len(page.records)
            total = page.total if page.total is not None else total
            columns.update(page.columns)
            records.extend(page.records[: limit - len(records)])
            next_url = self._next_url(
                dataset,
                base_pairs,
                page,
                answered_at=answered_at,
                index=index,
                received=received,
                size=size,
                cursor=cursor,
            )
            if len(records) >= limit or next_url is None:
                more = received > len(records) or (next_url is not None and len(records) >= limit)
                break
            cursor, url = page.next, next_url
        else:
            more = True  # the page cap stopped it with pages left
        if total is not None and total > len(records):
            more = True
        return ResultSet(
            records=tuple(records),
            native_query=first,
            columns=tuple(ColumnInfo(name=name) for name in columns),
            overflow=more,
        )

    async def tables(self, dataset: Dataset, *, timeout: float) -> tuple[TableInfo, ...]:
        """The fields of the records of an unfiltered first page, as one table."""
        api = api_of(dataset)
        result = await self.query(
            dataset, QueryParams(), limit=min(api.paging.page_size, 100), timeout=timeout
        )
        return (
            TableInfo(
                name=dataset.id, description=dataset.description or None, columns=result.columns
            ),
        )

    async def capabilities(self, dataset: Dataset, *, timeout: float) -> tuple[Capability, ...]:
        """A REST/JSON archive publishes no VO capabilities."""
        return ()
