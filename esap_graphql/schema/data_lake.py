"""The Rucio data lake: where a Rucio dataset lives and which scopes it holds.

Searching it is the dataset's ordinary ``query`` (collection = scope, target =
name pattern); this type adds what only a data lake has.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from esap_graphql.domain import archives as domain
from esap_graphql.resolvers import data_lake as resolve
from esap_graphql.schema.archives import Dataset
from esap_graphql.schema.context import Info


@strawberry.type(description="A Rucio data lake, reached through one dataset with protocol RUCIO.")
class DataLake:
    rucio_host: str = strawberry.field(description="The Rucio server's REST API.")
    auth_host: str = strawberry.field(description="The Rucio authentication server.")
    account: str = strawberry.field(description="The Rucio account the gateway acts as.")
    auth_type: str = strawberry.field(description="How the gateway authenticates: userpass, x509.")
    default_scope: str | None = strawberry.field(
        description="The scope searched when a query names none (collection)."
    )
    _domain: strawberry.Private[domain.Dataset]

    @classmethod
    def from_domain(cls, dataset: domain.Dataset) -> DataLake:
        settings = dataset.rucio
        assert settings is not None  # the service hands out Rucio datasets only
        return cls(
            rucio_host=dataset.access_url,
            auth_host=settings.auth_host,
            account=settings.account,
            auth_type=settings.auth_type.value,
            default_scope=settings.default_scope,
            _domain=dataset,
        )

    @strawberry.field(description="The dataset that searches this data lake.")
    def dataset(self) -> Dataset:
        return Dataset.from_domain(self._domain)

    @strawberry.field(
        description="Every scope of the Rucio server, sorted (cached like query results); "
        "pass one as the collection of a query."
    )
    async def scopes(self, info: Info) -> list[str]:
        return list(await resolve.scopes(info.context, self._domain))


@strawberry.type
class DataLakeQuery:
    @strawberry.field(
        description="The Rucio data lake behind a dataset with protocol RUCIO; null when no "
        "dataset has this id (an InvalidParameter error when it is not a Rucio dataset)."
    )
    def data_lake(
        self,
        info: Info,
        dataset: Annotated[strawberry.ID, strawberry.argument(description="Dataset id.")],
    ) -> DataLake | None:
        found = resolve.data_lake(info.context, dataset)
        return DataLake.from_domain(found) if found is not None else None
