"""Expected errors as schema types, and the one registry from domain errors to them.

Every schema error implements the ``Error`` interface and is registered with ``maps`` against
the domain error it shows; ``from_domain`` picks the registration of the exception's most
specific class. Features register their own errors (``basket``, ``jobs``) the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from esap_graphql.domain import errors as domain
from esap_graphql.domain.names import NameNotResolved as DomainNameNotResolved

_Schema = TypeVar("_Schema", bound=type)
_REGISTRY: dict[type[domain.EsapError], Callable[[Any], Any]] = {}


def maps(*domain_types: type[domain.EsapError]) -> Callable[[_Schema], _Schema]:
    """Register a schema error class (with a ``from_domain(exc)`` classmethod) as what these
    domain errors are shown as."""

    def register(schema_type: _Schema) -> _Schema:
        for domain_type in domain_types:
            _REGISTRY[domain_type] = schema_type.from_domain  # type: ignore[attr-defined]
        return schema_type

    return register


def from_domain(exc: domain.EsapError) -> Any:
    """The schema error for a domain error: the registration of its most specific class."""
    for klass in type(exc).__mro__:
        build = _REGISTRY.get(klass)
        if build is not None:
            return build(exc)
    raise TypeError(f"no schema error is registered for {type(exc).__name__}")


def registered() -> frozenset[type[domain.EsapError]]:
    """The domain errors with a schema error (for the test that none is forgotten)."""
    return frozenset(_REGISTRY)


@strawberry.interface(
    description="An expected failure, reported as data rather than as a GraphQL error."
)
class Error:
    code: str = strawberry.field(description="Stable machine-readable error code.")
    message: str = strawberry.field(description="What went wrong, for a person to read.")


# The request is wrong in a way no more specific type says: shown as an invalid parameter
# with no parameter name.
@maps(domain.InvalidParameter, domain.UsageError)
@strawberry.type(description="A query parameter is missing, out of range or unsafe.")
class InvalidParameter(Error):
    parameter: str = strawberry.field(description="The offending parameter (input name).")

    @classmethod
    def from_domain(cls, exc: domain.UsageError) -> InvalidParameter:
        name = exc.parameter if isinstance(exc, domain.InvalidParameter) else ""
        return cls(code=exc.code, message=exc.message, parameter=name)


@maps(domain.UnsupportedParameter)
@strawberry.type(description="The dataset's protocol cannot filter on this parameter.")
class UnsupportedParameter(Error):
    parameter: str = strawberry.field(description="The parameter the dataset does not support.")

    @classmethod
    def from_domain(cls, exc: domain.UnsupportedParameter) -> UnsupportedParameter:
        return cls(code=exc.code, message=exc.message, parameter=exc.parameter)


@maps(domain.UnknownDataset)
@strawberry.type(description="No configured dataset has this id.")
class UnknownDataset(Error):
    dataset_id: str = strawberry.field(description="The id that was asked for.")

    @classmethod
    def from_domain(cls, exc: domain.UnknownDataset) -> UnknownDataset:
        return cls(code=exc.code, message=exc.message, dataset_id=exc.dataset_id)


@maps(domain.ArchiveUnreachable)
@strawberry.type(description="The archive could not be reached (connection refused, DNS, TLS).")
class ArchiveUnreachable(Error):
    url: str = strawberry.field(description="The archive endpoint that was tried.")

    @classmethod
    def from_domain(cls, exc: domain.ArchiveUnreachable) -> ArchiveUnreachable:
        return cls(code=exc.code, message=exc.message, url=exc.url)


@maps(domain.ArchiveTimeout)
@strawberry.type(description="The archive did not answer within the dataset's timeout.")
class ArchiveTimeout(Error):
    url: str = strawberry.field(description="The archive endpoint that was tried.")
    seconds: float = strawberry.field(description="The timeout that ran out, in seconds.")

    @classmethod
    def from_domain(cls, exc: domain.ArchiveTimeout) -> ArchiveTimeout:
        return cls(code=exc.code, message=exc.message, url=exc.url, seconds=exc.seconds)


# Any other failure of an archive is shown as a failure without an HTTP status.
@maps(domain.ArchiveFailure, domain.ArchiveError)
@strawberry.type(description="The archive answered with an error (HTTP or VO QUERY_STATUS=ERROR).")
class ArchiveFailure(Error):
    url: str = strawberry.field(description="The archive endpoint that answered.")
    http_status: int | None = strawberry.field(
        description="HTTP status of the answer, when the failure was an HTTP error."
    )

    @classmethod
    def from_domain(cls, exc: domain.ArchiveError) -> ArchiveFailure:
        status = exc.status if isinstance(exc, domain.ArchiveFailure) else None
        return cls(code=exc.code, message=exc.message, url=exc.url, http_status=status)


@maps(domain.MalformedResponse)
@strawberry.type(
    description="The archive's answer could not be read (not a valid VOTable, too large)."
)
class MalformedResponse(Error):
    url: str = strawberry.field(description="The archive endpoint that answered.")

    @classmethod
    def from_domain(cls, exc: domain.MalformedResponse) -> MalformedResponse:
        return cls(code=exc.code, message=exc.message, url=exc.url)


@maps(DomainNameNotResolved)
@strawberry.type(description="No name resolver (Sesame: Simbad, NED, VizieR) knows this name.")
class NameNotResolved(Error):
    name: str = strawberry.field(description="The name that was looked up.")

    @classmethod
    def from_domain(cls, exc: DomainNameNotResolved) -> NameNotResolved:
        return cls(code=exc.code, message=exc.message, name=exc.name)


#: The errors a query result can carry (listed in the schema even where no union names them).
ERROR_TYPES: tuple[type, ...] = (
    InvalidParameter,
    UnsupportedParameter,
    UnknownDataset,
    ArchiveUnreachable,
    ArchiveTimeout,
    ArchiveFailure,
    MalformedResponse,
    NameNotResolved,
)
