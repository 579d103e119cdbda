"""Expected errors as schema types: every one implements the ``Error`` interface."""

from __future__ import annotations

import strawberry

from esap_graphql.domain import errors as domain
from esap_graphql.domain.names import NameNotResolved as DomainNameNotResolved


@strawberry.interface(
    description="An expected failure, reported as data rather than as a GraphQL error."
)
class Error:
    code: str = strawberry.field(description="Stable machine-readable error code.")
    message: str = strawberry.field(description="What went wrong, for a person to read.")


@strawberry.type(description="A query parameter is missing, out of range or unsafe.")
class InvalidParameter(Error):
    parameter: str = strawberry.field(description="The offending parameter (input name).")


@strawberry.type(description="The dataset's protocol cannot filter on this parameter.")
class UnsupportedParameter(Error):
    parameter: str = strawberry.field(description="The parameter the dataset does not support.")


@strawberry.type(description="No configured dataset has this id.")
class UnknownDataset(Error):
    dataset_id: str = strawberry.field(description="The id that was asked for.")


@strawberry.type(description="The archive could not be reached (connection refused, DNS, TLS).")
class ArchiveUnreachable(Error):
    url: str = strawberry.field(description="The archive endpoint that was tried.")


@strawberry.type(description="The archive did not answer within the dataset's timeout.")
class ArchiveTimeout(Error):
    url: str = strawberry.field(description="The archive endpoint that was tried.")
    seconds: float = strawberry.field(description="The timeout that ran out, in seconds.")


@strawberry.type(description="The archive answered with an error (HTTP or VO QUERY_STATUS=ERROR).")
class ArchiveFailure(Error):
    url: str = strawberry.field(description="The archive endpoint that answered.")
    http_status: int | None = strawberry.field(
        description="HTTP status of the answer, when the failure was an HTTP error."
    )


@strawberry.type(
    description="The archive's answer could not be read (not a valid VOTable, too large)."
)
class MalformedResponse(Error):
    url: str = strawberry.field(description="The archive endpoint that answered.")


@strawberry.type(description="No name resolver (Sesame: Simbad, NED, VizieR) knows this name.")
class NameNotResolved(Error):
    name: str = strawberry.field(description="The name that was looked up.")


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


def from_domain(exc: domain.EsapError) -> Error:
    """The schema error for a domain error (the most specific type that fits)."""
    code, message = exc.code, exc.message
    match exc:
        case domain.InvalidParameter():
            return InvalidParameter(code=code, message=message, parameter=exc.parameter)
        case domain.UnsupportedParameter():
            return UnsupportedParameter(code=code, message=message, parameter=exc.parameter)
        case DomainNameNotResolved():
            return NameNotResolved(code=code, message=message, name=exc.name)
        case domain.UnknownDataset():
            return UnknownDataset(code=code, message=message, dataset_id=exc.dataset_id)
        case domain.ArchiveUnreachable():
            return ArchiveUnreachable(code=code, message=message, url=exc.url)
        case domain.ArchiveTimeout():
            return ArchiveTimeout(code=code, message=message, url=exc.url, seconds=exc.seconds)
        case domain.ArchiveFailure():
            return ArchiveFailure(code=code, message=message, url=exc.url, http_status=exc.status)
        case domain.MalformedResponse():
            return MalformedResponse(code=code, message=message, url=exc.url)
        case domain.ArchiveError():
            return ArchiveFailure(code=code, message=message, url=exc.url, http_status=None)
    return InvalidParameter(code=code, message=message, parameter="")
