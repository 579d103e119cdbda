"""Expected errors of the VO registry and DataLink, as schema types."""

from __future__ import annotations

import strawberry

from esap_graphql.domain import registry as domain
from esap_graphql.domain.errors import EsapError
from esap_graphql.schema.errors import Error


@strawberry.type(description="No registry (RegTAP, or a harvested one) lists this identifier.")
class UnknownRegistryService(Error):
    ivoid: str = strawberry.field(description="The IVOA identifier that was asked for.")


@strawberry.type(
    description="The registered resource offers no service the gateway can query "
    "(TAP, cone search, SIA)."
)
class NotQueryable(Error):
    ivoid: str = strawberry.field(description="The IVOA identifier of the resource.")


@strawberry.type(
    description="A URL taken from a registry record or a DataLink answer is not one the "
    "gateway may call (not http/https, or a loopback, private or link-local host)."
)
class RefusedUrl(Error):
    url: str = strawberry.field(description="The URL that was refused.")
    reason: str = strawberry.field(description="Why it was refused.")


REGISTRY_ERROR_TYPES: tuple[type, ...] = (UnknownRegistryService, NotQueryable, RefusedUrl)


def registry_error(exc: EsapError) -> Error | None:
    """The schema error for a registry error, or None for any other error."""
    code, message = exc.code, exc.message
    match exc:
        case domain.UnknownRegistryService():
            return UnknownRegistryService(code=code, message=message, ivoid=exc.ivoid)
        case domain.NotQueryable():
            return NotQueryable(code=code, message=message, ivoid=exc.ivoid)
        case domain.RefusedUrl():
            return RefusedUrl(code=code, message=message, url=exc.url, reason=exc.reason)
    return None
