"""Query inputs, result records and the result of one dataset query."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.outcomes import QueryOutcome
from esap_graphql.domain.query import PARAMETER_NAMES, QueryParams
from esap_graphql.domain.records import Record, fields_dict, native_rows
from esap_graphql.resolvers import queries as resolve
from esap_graphql.resolvers.multi_query import ParsedQuery
from esap_graphql.schema.context import Info
from esap_graphql.schema.datalink import DataLink
from esap_graphql.schema.datalink import links as datalink_links
from esap_graphql.schema.datalink import links_error as datalink_links_error
from esap_graphql.schema.errors import Error, from_domain
from esap_graphql.schema.tables import Column

if TYPE_CHECKING:
    from esap_graphql.schema.archives import Dataset


@strawberry.input(description="Query parameters common to every dataset (ESAP's query form).")
class QueryParamsInput:
    target: str | None = strawberry.field(
        default=None, description="Target name, matched exactly (e.g. M 31)."
    )
    ra: float | None = strawberry.field(
        default=None, description="Right ascension of the cone centre, ICRS degrees [0, 360]."
    )
    dec: float | None = strawberry.field(
        default=None, description="Declination of the cone centre, ICRS degrees [-90, 90]."
    )
    radius: float | None = strawberry.field(
        default=None, description="Cone radius in degrees, in (0, 90]."
    )
    collection: str | None = strawberry.field(
        default=None, description="Collection (ObsCore obs_collection)."
    )
    calibration_level: int | None = strawberry.field(
        default=None, description="ObsCore calibration level, 0 to 4."
    )
    dataproduct_type: str | None = strawberry.field(
        default=None, description="ObsCore data product type (image, cube, spectrum...)."
    )

    def to_domain(self) -> QueryParams:
        """The validated parameters; raise ``InvalidParameter``."""
        return QueryParams(**{name: getattr(self, name) for name in PARAMETER_NAMES}).validated()


def parse_query(info: Info, params: QueryParamsInput, page: int, page_size: int) -> ParsedQuery:
    """The client's parameters and page, validated once at the edge, or why not."""
    try:
        return params.to_domain(), resolve.page(info.context, page, page_size)
    except UsageError as exc:
        return exc


# Rows are domain Record objects served as they are: strawberry reads plain
# attributes by name, so a page of thousands of rows costs no copying.
@strawberry.type(
    name="Record", description="One result record: common fields plus every native column."
)
class RecordType:
    id: str = strawberry.field(
        description="Identifier of the record in its archive (publisher DID where known)."
    )
    title: str | None = strawberry.field(description="Title or name of the data product.")
    target: str | None = strawberry.field(description="Name of the observed target.")
    ra: float | None = strawberry.field(description="Right ascension, ICRS degrees.")
    dec: float | None = strawberry.field(description="Declination, ICRS degrees.")
    fov: float | None = strawberry.field(description="Field of view (diameter), degrees.")
    dataproduct_type: str | None = strawberry.field(description="ObsCore data product type.")
    calibration_level: int | None = strawberry.field(
        description="ObsCore calibration level, 0 to 4."
    )
    collection: str | None = strawberry.field(description="Collection the record belongs to.")
    size_bytes: float | None = strawberry.field(
        description="Estimated size of the data product in bytes (a Float: sizes exceed 2^31)."
    )
    access_url: str | None = strawberry.field(description="URL to retrieve the data product.")
    access_format: str | None = strawberry.field(description="MIME type of the data product.")
    thumbnail_url: str | None = strawberry.field(description="URL of a preview image.")

    @strawberry.field(description="Every native column of the record, by column name.")
    def fields(self) -> JSON:
        return cast(JSON, fields_dict(self.fields))

    @strawberry.field(
        description="The record's DataLink links (the dataset, previews, related files), "
        "fetched on demand, one request per DataLink service for a whole page. Empty when "
        "the archive offers no DataLink for the record; null when they could not be "
        "fetched (see linksError)."
    )
    async def links(self, info: Info) -> list[DataLink] | None:
        return await datalink_links(self, info)  # type: ignore[arg-type]

    @strawberry.field(description="Why links could not be fetched; null when they were.")
    async def links_error(self, info: Info) -> Error | None:
        return await datalink_links_error(self, info)  # type: ignore[arg-type]


@strawberry.enum(description="How a dataset query ended.")
class QueryStatus(Enum):
    OK = strawberry.enum_value("ok", description="All matching records were returned.")
    OVERFLOW = strawberry.enum_value(
        "overflow", description="The record limit was reached: more records match."
    )
    ERROR = strawberry.enum_value("error", description="The query failed; see error.")
    TIMEOUT = strawberry.enum_value("timeout", description="The archive did not answer in time.")


@strawberry.type(description="One page of a dataset query's records, or the error that stopped it.")
class QueryResult:
    _outcome: strawberry.Private[QueryOutcome]

    @classmethod
    def from_outcome(cls, outcome: QueryOutcome) -> QueryResult:
        return cls(_outcome=outcome)

    @strawberry.field(description="The dataset queried; null when no dataset has datasetId.")
    def dataset(
        self,
    ) -> Annotated[Dataset, strawberry.lazy("esap_graphql.schema.archives")] | None:
        from esap_graphql.schema.archives import Dataset

        found = self._outcome.dataset
        return Dataset.from_domain(found) if found is not None else None

    @strawberry.field(description="The id of the dataset queried, as asked for.")
    def dataset_id(self) -> strawberry.ID:
        return strawberry.ID(self._outcome.dataset_id)

    @strawberry.field(description="How the query ended.")
    def status(self) -> QueryStatus:
        return QueryStatus(self._outcome.status.value)

    @strawberry.field(description="Records matched, up to the record limit; null on error.")
    def total_count(self) -> int | None:
        return self._outcome.total_count

    @strawberry.field(description="The page returned, from 1.")
    def page(self) -> int:
        return self._outcome.page.number

    @strawberry.field(description="Records per page.")
    def page_size(self) -> int:
        return self._outcome.page.size

    @strawberry.field(description="True when a further page holds records.")
    def has_next_page(self) -> bool:
        total = self._outcome.total_count or 0
        return self._outcome.page.number * self._outcome.page.size < total

    @strawberry.field(
        description="The records of this page, or of another page of the same result "
        "(page and pageSize given here read the records already fetched, without a new query)."
    )
    def rows(
        self,
        info: Info,
        page: Annotated[
            int | None, strawberry.argument(description="Another page of this result, from 1.")
        ] = None,
        page_size: Annotated[
            int | None, strawberry.argument(description="Records per page for that page.")
        ] = None,
    ) -> list[RecordType]:
        return self._page_rows(info, page, page_size)  # type: ignore[return-value]

    def _page_rows(self, info: Info, page: int | None, page_size: int | None) -> tuple[Record, ...]:
        return resolve.other_page(info.context, self._outcome, page, page_size)

    @strawberry.field(
        description="The page as a table: {columns: [...], rows: [[...]]} with every native "
        "column. One value instead of one per cell: the fast form for large pages. Null when "
        "the query failed (see error)."
    )
    def table(
        self,
        info: Info,
        page: Annotated[
            int | None, strawberry.argument(description="Another page of this result, from 1.")
        ] = None,
        page_size: Annotated[
            int | None, strawberry.argument(description="Records per page for that page.")
        ] = None,
    ) -> JSON | None:
        result = self._outcome.result
        if result is None:
            return None
        names = [c.name for c in result.columns]
        return cast(
            JSON,
            {
                "columns": names,
                "rows": native_rows(self._page_rows(info, page, page_size), names),
            },
        )

    @strawberry.field(description="Native columns of the answer (name, unit, UCD, datatype).")
    def columns(self) -> list[Column]:
        result = self._outcome.result
        return [Column.from_domain(c) for c in result.columns] if result else []

    @strawberry.field(description="The query as sent to the archive (ADQL, or a URL).")
    def native_query(self) -> str | None:
        return self._outcome.native_query

    @strawberry.field(description="Milliseconds the query took in the gateway, archive included.")
    def elapsed_ms(self) -> float:
        return round(self._outcome.elapsed_ms, 3)

    @strawberry.field(
        description="True when the records came from the gateway's short-lived cache."
    )
    def from_cache(self) -> bool:
        return self._outcome.from_cache

    @strawberry.field(description="Why the query failed; null when it succeeded.")
    def error(self) -> Error | None:
        return from_domain(self._outcome.error) if self._outcome.error is not None else None
