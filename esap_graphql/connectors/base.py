"""The interface every protocol connector implements."""

from __future__ import annotations

from typing import Protocol as TypingProtocol

from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.query import QueryParams
from esap_graphql.domain.records import Capability, ResultSet, TableInfo


class Connector(TypingProtocol):
    """Speaks one protocol to the archives configured with it.

    Every method is async and bounded by ``timeout`` seconds; failures are
    raised as ``esap_graphql.domain.errors.ArchiveError`` subclasses and
    unusable parameters as ``UsageError`` subclasses.
    """

    def native_query(self, dataset: Dataset, params: QueryParams, *, limit: int) -> str:
        """The query as the archive receives it (ADQL text, or a URL)."""
        ...

    async def query(
        self, dataset: Dataset, params: QueryParams, *, limit: int, timeout: float
    ) -> ResultSet:
        """Run the query and return at most ``limit`` records."""
        ...

    async def tables(self, dataset: Dataset, *, timeout: float) -> tuple[TableInfo, ...]:
        """The tables (and their columns) the dataset's service exposes."""
        ...

    async def capabilities(self, dataset: Dataset, *, timeout: float) -> tuple[Capability, ...]:
        """The services the dataset's archive offers at its endpoint (VOSI capabilities)."""
        ...
