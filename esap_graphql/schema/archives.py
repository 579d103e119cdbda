"""Archives, datasets, their query forms and table metadata."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from esap_graphql.domain import archives as domain
from esap_graphql.domain.errors import UsageError
from esap_graphql.resolvers import archives as resolve
from esap_graphql.resolvers import queries as resolve_query
from esap_graphql.schema.context import Info
from esap_graphql.schema.results import QueryParamsInput, QueryResult, parse_query
from esap_graphql.schema.tables import Capability, Table


@strawberry.enum(description="The protocol a dataset is queried with.")
class Protocol(Enum):
    TAP = strawberry.enum_value("tap", description="IVOA Table Access Protocol (ADQL).")
    SCS = strawberry.enum_value("scs", description="IVOA Simple Cone Search.")
    SIA = strawberry.enum_value("sia", description="IVOA Simple Image Access (v2, or v1).")
    HTTP = strawberry.enum_value(
        "http", description="A REST/JSON web API, described in the catalogue (no VO protocol)."
    )
    RUCIO = strawberry.enum_value(
        "rucio", description="Rucio data lake: data identifiers by scope and name pattern."
    )


@strawberry.enum(description="Value type of a query form field.")
class FieldType(Enum):
    STRING = strawberry.enum_value("string", description="Free text.")
    FLOAT = strawberry.enum_value("float", description="A decimal number.")
    INT = strawberry.enum_value("int", description="A whole number.")
    ENUM = strawberry.enum_value("enum", description="One of allowedValues.")


@strawberry.type(description="One input of a dataset's query form.")
class QueryField:
    name: str = strawberry.field(description="Name of the matching QueryParams input field.")
    label: str = strawberry.field(description="Label to show next to the input.")
    type: FieldType = strawberry.field(description="Value type.")
    unit: str | None = strawberry.field(description="Unit of the value, e.g. deg.")
    default: str | None = strawberry.field(description="Suggested default value, as text.")
    description: str = strawberry.field(description="Help text for the input.")
    allowed_values: list[str] = strawberry.field(
        description="The values to choose from (type ENUM); empty otherwise."
    )
    required: bool = strawberry.field(
        description="True when the dataset cannot be queried without it."
    )

    @classmethod
    def from_domain(cls, field: domain.QueryField) -> QueryField:
        return cls(
            name=field.name,
            label=field.label,
            type=FieldType(field.type.value),
            unit=field.unit,
            default=field.default,
            description=field.description,
            allowed_values=list(field.allowed_values),
            required=field.required,
        )


@strawberry.type(description="A queryable collection of records behind one archive service.")
class Dataset:
    id: strawberry.ID = strawberry.field(description="Stable identifier, unique across archives.")
    name: str = strawberry.field(description="Human-readable name.")
    description: str = strawberry.field(description="What the dataset holds.")
    protocol: Protocol = strawberry.field(description="How the dataset is queried.")
    access_url: str = strawberry.field(description="Base URL of the archive service.")
    table: str | None = strawberry.field(description="The TAP table queried (TAP datasets only).")
    collection: str | None = strawberry.field(
        description="The collection the dataset is fixed to, if any (ObsCore obs_collection)."
    )
    multi_query: bool = strawberry.field(
        description="True when the dataset takes part in multi-queries."
    )
    _domain: strawberry.Private[domain.Dataset]

    @classmethod
    def from_domain(cls, dataset: domain.Dataset) -> Dataset:
        return cls(
            id=strawberry.ID(dataset.id),
            name=dataset.name,
            description=dataset.description,
            protocol=Protocol(dataset.protocol.value),
            access_url=dataset.access_url,
            table=dataset.table,
            collection=dataset.collection,
            multi_query=dataset.multi_query,
            _domain=dataset,
        )

    @strawberry.field(description="The archive the dataset belongs to.")
    def archive(self, info: Info) -> Archive:
        return Archive.from_domain(resolve.archive_of(info.context, self._domain))

    @strawberry.field(description="The inputs of this dataset's query form, in display order.")
    def query_fields(self) -> list[QueryField]:
        return [QueryField.from_domain(f) for f in self._domain.query_fields]

    @strawberry.field(
        description="Tables and columns of the dataset's service (VOSI tables for TAP; "
        "the answer's columns for SCS and SIA). Null when the archive could not tell: the "
        "error (with its extensions.code) names the field, and the dataset's other fields "
        "stay."
    )
    async def tables(
        self,
        info: Info,
        name: Annotated[
            str | None, strawberry.argument(description="Only the table with this name.")
        ] = None,
    ) -> list[Table] | None:
        tables = await resolve.dataset_tables(info.context, self._domain, name)
        return [Table.from_domain(t) for t in tables]

    @strawberry.field(
        description="The services the dataset's endpoint offers (VOSI capabilities for TAP: "
        "TAP, tables, availability; the cone search or image search itself otherwise). Null "
        "when the archive could not tell (see the error's extensions.code)."
    )
    async def capabilities(self, info: Info) -> list[Capability] | None:
        found = await resolve.dataset_capabilities(info.context, self._domain)
        return [Capability.from_domain(c) for c in found]

    @strawberry.field(description="Query the dataset; one page of records, or a typed error.")
    async def query(
        self,
        info: Info,
        params: Annotated[
            QueryParamsInput, strawberry.argument(description="The query parameters.")
        ],
        page: Annotated[int, strawberry.argument(description="Page number, from 1.")] = 1,
        page_size: Annotated[int, strawberry.argument(description="Records per page.")] = 50,
    ) -> QueryResult:
        query = parse_query(info, params, page, page_size)
        if isinstance(query, UsageError):
            return QueryResult.from_outcome(resolve_query.refused(info.context, self.id, query))
        return QueryResult.from_outcome(
            await resolve_query.query_dataset(info.context, self._domain, *query)
        )


@strawberry.type(description="A data archive: descriptive metadata and its datasets.")
class Archive:
    id: strawberry.ID = strawberry.field(description="Stable identifier.")
    name: str = strawberry.field(description="Human-readable name.")
    short_description: str = strawberry.field(description="One-line description.")
    long_description: str = strawberry.field(description="Full description.")
    instrument: str = strawberry.field(description="Instruments or telescopes the data come from.")
    thumbnail: str | None = strawberry.field(description="URL of a picture for the archive.")
    retrieval_description: str = strawberry.field(description="How to retrieve the data.")
    documentation_url: str | None = strawberry.field(
        description="URL of the archive's documentation."
    )
    datasets: list[Dataset] = strawberry.field(description="The archive's datasets.")

    @classmethod
    def from_domain(cls, archive: domain.Archive) -> Archive:
        return cls(
            id=strawberry.ID(archive.id),
            name=archive.name,
            short_description=archive.short_description,
            long_description=archive.long_description,
            instrument=archive.instrument,
            thumbnail=archive.thumbnail,
            retrieval_description=archive.retrieval_description,
            documentation_url=archive.documentation_url,
            datasets=[Dataset.from_domain(d) for d in archive.datasets],
        )
