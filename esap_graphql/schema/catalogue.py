"""Root fields that browse the archive catalogue."""

from __future__ import annotations

from typing import Annotated

import strawberry

from esap_graphql.domain.archives import Protocol as DomainProtocol
from esap_graphql.resolvers import archives as resolve
from esap_graphql.schema.archives import Archive, Dataset, Protocol
from esap_graphql.schema.context import Info


@strawberry.type
class CatalogueQuery:
    @strawberry.field(description="Every configured archive, in configuration order.")
    def archives(self, info: Info) -> list[Archive]:
        return [Archive.from_domain(a) for a in resolve.archives(info.context)]

    @strawberry.field(description="One archive by id; null when there is none.")
    def archive(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Archive id.")],
    ) -> Archive | None:
        found = resolve.archive(info.context, id)
        return Archive.from_domain(found) if found else None

    @strawberry.field(description="Datasets across all archives, optionally filtered.")
    def datasets(
        self,
        info: Info,
        protocol: Annotated[
            Protocol | None, strawberry.argument(description="Only datasets of this protocol.")
        ] = None,
        multi_query: Annotated[
            bool | None,
            strawberry.argument(
                description="Only datasets that do (true) or do not take part in multi-queries."
            ),
        ] = None,
    ) -> list[Dataset]:
        wanted = DomainProtocol(protocol.value) if protocol is not None else None
        return [Dataset.from_domain(d) for d in resolve.datasets(info.context, wanted, multi_query)]

    @strawberry.field(description="One dataset by id; null when there is none.")
    def dataset(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Dataset id.")],
    ) -> Dataset | None:
        found = resolve.dataset(info.context, id)
        return Dataset.from_domain(found) if found else None
