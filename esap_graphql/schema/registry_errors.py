"""Expected errors of the VO registry, as schema types registered with ``errors.maps``."""

from __future__ import annotations

import strawberry

from esap_graphql.domain import registry as domain
from esap_graphql.schema.errors import Error, maps


@maps(domain.UnknownRegistryService)
@strawberry.type(description="No registry (RegTAP, or a harvested one) lists this identifier.")
class UnknownRegistryService(Error):
    ivoid: str = strawberry.field(description="The IVOA identifier that was asked for.")

    @classmethod
    def from_domain(cls, exc: domain.UnknownRegistryService) -> UnknownRegistryService:
        return cls(code=exc.code, message=exc.message, ivoid=exc.ivoid)


@maps(domain.NotQueryable)
@strawberry.type(
    description="The registered resource offers no service the gateway can query "
    "(TAP, cone search, SIA)."
)
class NotQueryable(Error):
    ivoid: str = strawberry.field(description="The IVOA identifier of the resource.")

    @classmethod
    def from_domain(cls, exc: domain.NotQueryable) -> NotQueryable:
        return cls(code=exc.code, message=exc.message, ivoid=exc.ivoid)


@maps(domain.RefusedUrl)
@strawberry.type(
    description="A URL taken from a registry record or a DataLink answer is not one the "
    "gateway may call (not http/https, or a loopback, private or link-local host)."
)
class RefusedUrl(Error):
    url: str = strawberry.field(description="The URL that was refused.")
    reason: str = strawberry.field(description="Why it was refused.")

    @classmethod
    def from_domain(cls, exc: domain.RefusedUrl) -> RefusedUrl:
        return cls(code=exc.code, message=exc.message, url=exc.url, reason=exc.reason)


#: Listed in the schema: query results and DataLink errors carry them through ``Error``.
REGISTRY_ERROR_TYPES: tuple[type, ...] = (UnknownRegistryService, NotQueryable, RefusedUrl)
