"""DataLink links of a record, as the ``links`` and ``linksError`` fields of ``Record``."""

from __future__ import annotations

import strawberry

from esap_graphql.domain import datalink as domain
from esap_graphql.domain.errors import EsapError
from esap_graphql.domain.records import Record
from esap_graphql.resolvers import registry as resolve
from esap_graphql.schema.context import Info
from esap_graphql.schema.errors import Error, from_domain


@strawberry.type(
    description="A link of a record, from its archive's DataLink service: the dataset "
    "itself, a preview, a cutout service, a related file..."
)
class DataLink:
    url: str | None = strawberry.field(
        description="Where the linked resource is (null when the service gave an error for it)."
    )
    semantics: str | None = strawberry.field(
        description="What the link is, from the IVOA DataLink vocabulary: #this (the dataset), "
        "#preview, #auxiliary, #cutout, #progenitor..."
    )
    content_type: str | None = strawberry.field(description="MIME type of the linked resource.")
    description: str | None = strawberry.field(description="What the link is, for a person.")
    size: float | None = strawberry.field(
        description="Size of the linked resource in bytes (a Float: sizes exceed 2^31)."
    )
    service_def: str | None = strawberry.field(
        description="When the link is a service (a cutout, say): the id of its descriptor."
    )
    error_message: str | None = strawberry.field(
        description="The DataLink service's error for this link (e.g. NotFoundFault: ...)."
    )

    @classmethod
    def from_domain(cls, link: domain.DataLink) -> DataLink:
        return cls(
            url=link.url,
            semantics=link.semantics,
            content_type=link.content_type,
            description=link.description,
            size=float(link.size) if link.size is not None else None,
            service_def=link.service_def,
            error_message=link.error_message,
        )


async def links(record: Record, info: Info) -> list[DataLink] | None:
    """The record's links; an empty list when it offers no DataLink, raise on failure."""
    found = await resolve.record_links(info.context, record)
    return [DataLink.from_domain(link) for link in found]


async def links_error(record: Record, info: Info) -> Error | None:
    """Why the record's links could not be fetched (the same request as ``links``)."""
    try:
        await resolve.record_links(info.context, record)
    except EsapError as exc:
        error: Error = from_domain(exc)
        return error
    return None
