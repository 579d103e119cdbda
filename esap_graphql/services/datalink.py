"""DataLink links of records, fetched on demand and batched per DataLink service.

Within one GraphQL request, every record whose links are asked for is
collected by a per-request ``DataLinkLoaders`` (one aiodataloader loader per
DataLink endpoint); each loader sends the IDs it gathered in a few requests
(``batch_size`` IDs each), so a page of 50 records costs one request per
service, not 50. Each record gets its links or its own typed error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiodataloader import DataLoader

from esap_graphql.connectors.datalink import DataLinkClient
from esap_graphql.domain.datalink import DataLink, LinkRequest
from esap_graphql.domain.errors import ArchiveTimeout, EsapError, MalformedResponse
from esap_graphql.services.registry import UrlCheck


class DataLinkService:
    """Fetches links from DataLink services, within a timeout, at allowed URLs only."""

    def __init__(
        self, *, client: DataLinkClient, check_url: UrlCheck, timeout: float, batch_size: int
    ) -> None:
        self._client = client
        self._check_url = check_url
        self._timeout = timeout
        self.batch_size = batch_size

    async def _bounded(self, endpoint: str, ids: Sequence[str] | None) -> tuple[DataLink, ...]:
        await self._check_url(endpoint)
        try:
            async with asyncio.timeout(self._timeout):
                return await self._client.links(endpoint, ids, timeout=self._timeout)
        except TimeoutError as exc:
            raise ArchiveTimeout(endpoint, self._timeout) from exc

    async def links_of(
        self, endpoint: str, ids: Sequence[str]
    ) -> list[tuple[DataLink, ...] | EsapError]:
        """The links of each ID, or the error that stopped its request."""
        unique = list(dict.fromkeys(ids))
        chunks = [unique[i : i + self.batch_size] for i in range(0, len(unique), self.batch_size)]
        answers = await asyncio.gather(
            *(self._bounded(endpoint, chunk) for chunk in chunks), return_exceptions=True
        )
        found: dict[str, tuple[DataLink, ...] | EsapError] = {}
        for chunk, answer in zip(chunks, answers, strict=True):
            if isinstance(answer, EsapError):
                found.update(dict.fromkeys(chunk, answer))
                continue
            if isinstance(answer, BaseException):
                raise answer
            grouped: dict[str, list[DataLink]] = {i: [] for i in chunk}
            for link in answer:
                if link.id in grouped:
                    grouped[link.id].append(link)
            for ident, links in grouped.items():
                found[ident] = (
                    tuple(links)
                    if links
                    else MalformedResponse(endpoint, f"no links for ID {ident!r} in the answer")
                )
        return [found[i] for i in ids]

    async def links_at(self, url: str) -> tuple[DataLink, ...]:
        """The links of a DataLink URL fetched as it is (one record)."""
        return await self._bounded(url, None)


class DataLinkLoaders:
    """The DataLink loaders of one GraphQL request, one per DataLink endpoint."""

    def __init__(self, service: DataLinkService) -> None:
        self._service = service
        self._loaders: dict[str, DataLoader[str, tuple[DataLink, ...]]] = {}

    def _loader(self, endpoint: str) -> DataLoader[str, tuple[DataLink, ...]]:
        loader = self._loaders.get(endpoint)
        if loader is None:

            async def batch(ids: list[str]) -> list[tuple[DataLink, ...] | EsapError]:
                return await self._service.links_of(endpoint, ids)

            # aiodataloader rejects the load of each key whose value is an exception
            loader = self._loaders[endpoint] = DataLoader(
                batch,  # type: ignore[arg-type]
                max_batch_size=self._service.batch_size * 4,
            )
        return loader

    async def load(self, request: LinkRequest) -> tuple[DataLink, ...]:
        """One record's links; raise the ``EsapError`` of its request."""
        if request.id is None:
            return await self._service.links_at(request.endpoint)
        links: tuple[DataLink, ...] = await self._loader(request.endpoint).load(request.id)
        return links
