"""The Rucio data lake: how a dataset reaches it, and what a search may ask.

A Rucio dataset searches data identifiers (DIDs: files, datasets, containers)
by scope and name pattern. In ESAP's common query vocabulary the scope is the
``collection`` and the name pattern (``*`` wildcards) the ``target``. Both are
checked here against the characters Rucio itself allows in scopes and names,
so a value can only ever be a literal scope or a literal pattern.

Pure data: nothing here knows rucio-clients, YAML or GraphQL.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from esap_graphql.domain.archives import FieldType, QueryField
from esap_graphql.domain.errors import ArchiveFailure, InvalidParameter

#: Rucio's scope rule (generic policy): letters, digits, ``_ - .``; at most 25.
SCOPE_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,25}$")
#: A DID name (Rucio: starts with ``/``, a letter or a digit; then also ``. - _``),
#: with ``*`` wildcards added.
NAME_PATTERN = re.compile(r"^[/A-Za-z0-9*][/A-Za-z0-9.\-_*]{0,249}$")
#: Searched when no name pattern is given: every DID of the scope.
ANY_NAME = "*"


class AuthType(enum.Enum):
    """How the gateway authenticates to Rucio (rucio-clients' ``auth_type``)."""

    USERPASS = "userpass"
    X509 = "x509"


class DidType(enum.Enum):
    """Which data identifiers a search returns (Rucio's ``did_type`` of a search)."""

    ALL = "all"
    FILE = "file"
    DATASET = "dataset"
    CONTAINER = "container"
    COLLECTION = "collection"


@dataclass(frozen=True, slots=True)
class RucioSettings:
    """How one dataset reaches its Rucio server.

    Secrets are never held here: the ``*_env`` fields name the environment
    variables the connector reads them from.
    """

    auth_host: str
    account: str
    auth_type: AuthType = AuthType.USERPASS
    username_env: str | None = None
    password_env: str | None = None
    client_cert_env: str | None = None
    client_key_env: str | None = None
    default_scope: str | None = None
    did_type: DidType = DidType.ALL
    #: Replica protocols to list (e.g. https, root, file), in order of preference; () = all.
    schemes: tuple[str, ...] = ()
    ca_cert: str | None = None
    vo: str | None = None


class ArchiveAuthenticationFailed(ArchiveFailure):
    """The archive refused the gateway's credentials, or none were configured."""

    code = "archive_authentication_failed"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, f"authentication failed: {reason}", status=401)


def check_scope(value: str) -> str:
    """A scope exactly as Rucio spells one; raise ``InvalidParameter`` (parameter collection)."""
    if not SCOPE_PATTERN.match(value):
        raise InvalidParameter(
            "collection",
            "a Rucio scope is 1 to 25 letters, digits, '_', '-' or '.'",
        )
    return value


def check_name_pattern(value: str) -> str:
    """A DID name pattern (``*`` wildcards); raise ``InvalidParameter`` (parameter target)."""
    if not NAME_PATTERN.match(value):
        raise InvalidParameter(
            "target",
            "a Rucio name pattern is 1 to 250 letters, digits, '/', '.', '-', '_' or '*' "
            "(not starting with '.', '-' or '_')",
        )
    return value


def rucio_query_fields(
    *, default_scope: str | None, fixed_scope: str | None, scopes: tuple[str, ...]
) -> tuple[QueryField, ...]:
    """The query form of a Rucio dataset: scope (unless fixed) and name pattern."""
    pattern = QueryField(
        name="target",
        label="Name pattern",
        type=FieldType.STRING,
        default=ANY_NAME,
        description="Data identifier name; '*' matches any characters (e.g. L700123_SB*).",
    )
    if fixed_scope is not None:
        return (pattern,)
    scope = QueryField(
        name="collection",
        label="Scope",
        type=FieldType.ENUM if scopes else FieldType.STRING,
        default=default_scope,
        allowed_values=scopes,
        description="Rucio scope to search (the namespace of the data identifiers).",
        required=default_scope is None,
    )
    return (scope, pattern)
