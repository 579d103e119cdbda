"""Target names resolved to positions (Sesame)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from esap_graphql.domain.errors import EsapError
from esap_graphql.domain.names import NameNotResolved as DomainNameNotResolved
from esap_graphql.resolvers import names as resolve
from esap_graphql.schema.context import Info
from esap_graphql.schema.errors import Error, from_domain


@strawberry.type(
    description="A target name and the ICRS position a resolver gave it, or why there is none."
)
class NameResolution:
    name: str = strawberry.field(description="The name looked up (spaces normalised).")
    ra: float | None = strawberry.field(description="Right ascension, ICRS degrees.")
    dec: float | None = strawberry.field(description="Declination, ICRS degrees.")
    resolver: str | None = strawberry.field(
        description="The database that knew the name (Simbad, NED or VizieR, through Sesame)."
    )
    object_name: str | None = strawberry.field(
        description="The object's main identifier in that database (e.g. M  31)."
    )
    from_cache: bool = strawberry.field(
        description="True when the answer came from the gateway's name cache."
    )
    error: Error | None = strawberry.field(
        description="NameNotResolved when no resolver knows the name; InvalidParameter for "
        "an unusable name; ArchiveUnreachable / ArchiveTimeout when no Sesame mirror answered."
    )


@strawberry.type
class NameQuery:
    @strawberry.field(
        description="Resolve a target name (e.g. M 31) to its position through Sesame "
        "(CDS); answers are cached, including names no resolver knows."
    )
    async def resolve(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="The object's name.")],
    ) -> NameResolution:
        try:
            found = await resolve.resolve_name(info.context, name)
        except EsapError as exc:
            return NameResolution(
                name=name,
                ra=None,
                dec=None,
                resolver=None,
                object_name=None,
                from_cache=False,
                error=from_domain(exc),
            )
        hit = found.resolved
        if hit is None:
            return NameResolution(
                name=found.name,
                ra=None,
                dec=None,
                resolver=None,
                object_name=None,
                from_cache=found.from_cache,
                error=from_domain(DomainNameNotResolved(found.name)),
            )
        return NameResolution(
            name=found.name,
            ra=hit.ra,
            dec=hit.dec,
            resolver=hit.resolver,
            object_name=hit.object_name,
            from_cache=found.from_cache,
            error=None,
        )
