"""The VO registry: search it, and query a service it lists like a configured dataset."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from esap_graphql.domain import registry as domain
from esap_graphql.domain.errors import EsapError, UsageError
from esap_graphql.domain.registry import RegistrySource
from esap_graphql.resolvers import registry as resolve
from esap_graphql.schema.context import Info
from esap_graphql.schema.errors import (
    ArchiveFailure,
    ArchiveTimeout,
    ArchiveUnreachable,
    Error,
    InvalidParameter,
    MalformedResponse,
    from_domain,
)
from esap_graphql.schema.registry_errors import UnknownRegistryService
from esap_graphql.schema.results import QueryParamsInput, QueryResult, parse_query


@strawberry.enum(description="A kind of VO service, by the IVOA standard it speaks.")
class ServiceType(Enum):
    TAP = strawberry.enum_value("tap", description="Table Access Protocol.")
    SCS = strawberry.enum_value("scs", description="Simple Cone Search.")
    SIA = strawberry.enum_value("sia", description="Simple Image Access 1.")
    SIA2 = strawberry.enum_value("sia2", description="Simple Image Access 2.")
    SSA = strawberry.enum_value("ssa", description="Simple Spectral Access (listed, not queried).")

    def to_domain(self) -> domain.ServiceType:
        return domain.ServiceType(self.value)


@strawberry.enum(description="Which registry records a search looks at.")
class RegistrySourceChoice(Enum):
    ALL = strawberry.enum_value("all", description="The harvested records, then RegTAP.")
    REGTAP = strawberry.enum_value("regtap", description="Only the RegTAP service.")
    HARVESTED = strawberry.enum_value(
        "harvested", description="Only the records harvested from publishing registries."
    )


@strawberry.type(description="One interface of a capability of a registered service.")
class RegistryCapability:
    standard_id: str | None = strawberry.field(
        description="IVOA standard identifier, e.g. ivo://ivoa.net/std/TAP."
    )
    access_url: str | None = strawberry.field(
        description="Where the interface answers (untrusted: the gateway checks it first)."
    )
    service_type: ServiceType | None = strawberry.field(
        description="The kind of service, when the gateway knows the standard."
    )
    interface_type: str | None = strawberry.field(
        description="The interface's type, e.g. vs:ParamHTTP."
    )
    role: str | None = strawberry.field(description="Interface role; std for the standard one.")
    description: str | None = strawberry.field(description="What the capability offers.")

    @classmethod
    def from_domain(cls, capability: domain.RegistryCapability) -> RegistryCapability:
        kind = capability.service_type
        return cls(
            standard_id=capability.standard_id,
            access_url=capability.access_url,
            service_type=ServiceType(kind.value) if kind is not None else None,
            interface_type=capability.interface_type,
            role=capability.role,
            description=capability.description,
        )


@strawberry.type(
    name="RegistryService",
    description="A resource (usually a service) listed in the VO registry.",
)
class RegistryServiceType:
    ivoid: str = strawberry.field(description="IVOA identifier, e.g. ivo://astron.nl/tap.")
    title: str = strawberry.field(description="Title of the resource.")
    description: str = strawberry.field(description="What the resource offers.")
    publisher: str | None = strawberry.field(description="Who publishes it.")
    short_name: str | None = strawberry.field(description="A short name for display.")
    resource_type: str | None = strawberry.field(
        description="VOResource type, e.g. vs:CatalogService."
    )
    subjects: list[str] = strawberry.field(description="Subject keywords.")
    wavebands: list[str] = strawberry.field(
        description="Wavebands covered (IVOA messenger terms, lower case)."
    )
    service_types: list[ServiceType] = strawberry.field(
        description="The kinds of service its capabilities offer."
    )
    capabilities: list[RegistryCapability] = strawberry.field(
        description="Every capability interface, with access URL and standard id."
    )
    updated: datetime | None = strawberry.field(description="When the record last changed.")
    source: str = strawberry.field(
        description="Where the record came from: regtap, or a harvested registry's OAI-PMH URL."
    )

    @classmethod
    def from_domain(cls, resource: domain.RegistryResource) -> RegistryServiceType:
        return cls(
            ivoid=resource.ivoid,
            title=resource.title,
            description=resource.description,
            publisher=resource.publisher,
            short_name=resource.short_name,
            resource_type=resource.resource_type,
            subjects=list(resource.subjects),
            wavebands=list(resource.wavebands),
            service_types=[ServiceType(t.value) for t in resource.service_types()],
            capabilities=[RegistryCapability.from_domain(c) for c in resource.capabilities],
            updated=resource.updated,
            source=resource.source,
        )

    @strawberry.field(
        description="Query the service like a configured dataset (TAP over ivoa.obscore, "
        "cone search, SIA); one page of records, or a typed error."
    )
    async def query(
        self,
        info: Info,
        params: Annotated[
            QueryParamsInput, strawberry.argument(description="The query parameters.")
        ],
        service_type: Annotated[
            ServiceType | None,
            strawberry.argument(
                description="Which of its services to query; default: TAP, then SIA 2, "
                "cone search, SIA 1."
            ),
        ] = None,
        page: Annotated[int, strawberry.argument(description="Page number, from 1.")] = 1,
        page_size: Annotated[int, strawberry.argument(description="Records per page.")] = 50,
    ) -> QueryResult:
        outcome = await resolve.query_service(
            info.context,
            self.ivoid,
            service_type.to_domain() if service_type is not None else None,
            parse_query(info, params, page, page_size),
        )
        return QueryResult.from_outcome(outcome)


@strawberry.type(description="The services a registry search found, and the sources that failed.")
class RegistrySearchResult:
    services: list[RegistryServiceType] = strawberry.field(
        description="The services found, harvested records first, each identifier once."
    )
    errors: list[Error] = strawberry.field(
        description="Why a source (RegTAP) or the search itself failed; the other source's "
        "services are still listed."
    )


RegistryServiceResult = Annotated[
    RegistryServiceType
    | UnknownRegistryService
    | InvalidParameter
    | ArchiveUnreachable
    | ArchiveTimeout
    | ArchiveFailure
    | MalformedResponse,
    strawberry.union(
        "RegistryServiceResult",
        description="A registered service, or why it cannot be had.",
    ),
]


@strawberry.type
class RegistryQueryRoot:
    @strawberry.field(
        description="Search the VO registry (RegTAP and the harvested publishing registries) "
        "for services by keyword (every word must match the title, description or a "
        "subject), service type and waveband."
    )
    async def registry(
        self,
        info: Info,
        keyword: Annotated[
            str | None, strawberry.argument(description="Words to look for, e.g. LOFAR radio.")
        ] = None,
        service_type: Annotated[
            ServiceType | None, strawberry.argument(description="Only services of this kind.")
        ] = None,
        waveband: Annotated[
            str | None,
            strawberry.argument(
                description="Only resources covering this IVOA messenger term (radio, "
                "millimeter, infrared, optical, uv, euv, x-ray, gamma-ray, neutrino...)."
            ),
        ] = None,
        source: Annotated[
            RegistrySourceChoice, strawberry.argument(description="Which records to search.")
        ] = RegistrySourceChoice.ALL,
        limit: Annotated[int, strawberry.argument(description="Most services returned.")] = 100,
    ) -> RegistrySearchResult:
        try:
            outcome = await resolve.search(
                info.context,
                keyword,
                service_type.to_domain() if service_type is not None else None,
                waveband,
                RegistrySource(source.value),
                limit,
            )
        except UsageError as exc:
            return RegistrySearchResult(services=[], errors=[from_domain(exc)])
        return RegistrySearchResult(
            services=[RegistryServiceType.from_domain(r) for r in outcome.resources],
            errors=[from_domain(e) for e in outcome.errors],
        )

    @strawberry.field(
        description="One service the registry lists, by IVOA identifier, to read or query."
    )
    async def registry_service(
        self,
        info: Info,
        ivoid: Annotated[str, strawberry.argument(description="The service's IVOA identifier.")],
    ) -> RegistryServiceResult:
        try:
            found = await resolve.resource(info.context, ivoid)
        except EsapError as exc:
            error: RegistryServiceResult = from_domain(exc)
            return error
        return RegistryServiceType.from_domain(found)
