"""What a dataset query or a multi-query gave: records or an error per dataset, never both."""

from __future__ import annotations

from dataclasses import dataclass

from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.errors import ArchiveTimeout, EsapError
from esap_graphql.domain.query import Page
from esap_graphql.domain.records import Record, ResultSet, ResultStatus


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    """One dataset's answer to one query: records or an error, never both.

    ``dataset`` is None only when the id asked for is not configured.
    """

    dataset_id: str
    dataset: Dataset | None
    page: Page
    result: ResultSet | None
    error: EsapError | None
    elapsed_ms: float
    from_cache: bool = False
    native_query: str | None = None

    @property
    def status(self) -> ResultStatus:
        """ok, overflow, timeout or error."""
        if isinstance(self.error, ArchiveTimeout):
            return ResultStatus.TIMEOUT
        if self.error is not None:
            return ResultStatus.ERROR
        if self.result is not None and self.result.overflow:
            return ResultStatus.OVERFLOW
        return ResultStatus.OK

    @property
    def total_count(self) -> int | None:
        """Records matched (at most the record limit); None on error."""
        return len(self.result.records) if self.result is not None else None

    @property
    def rows(self) -> tuple[Record, ...]:
        """The records of the requested page."""
        if self.result is None:
            return ()
        return self.result.records[self.page.slice()]

    @classmethod
    def refused(
        cls, dataset_id: str, dataset: Dataset | None, error: EsapError, page: Page | None = None
    ) -> QueryOutcome:
        """The outcome of a query refused before it reached the archive."""
        return cls(
            dataset_id=dataset_id,
            dataset=dataset,
            page=page or Page(),
            result=None,
            error=error,
            elapsed_ms=0.0,
        )


@dataclass(frozen=True, slots=True)
class MultiQueryOutcome:
    """Every dataset's outcome, in the order the datasets were asked for."""

    results: tuple[QueryOutcome, ...]
    elapsed_ms: float
