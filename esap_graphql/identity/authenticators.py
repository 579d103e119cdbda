"""Turning a request's credentials into a user: the ``Authenticator`` interface and the
single-user implementation (the OpenID Connect one is in ``oidc``)."""

from __future__ import annotations

from typing import Protocol

from esap_graphql.domain.users import LOCAL_USER, InvalidToken, User


class Authenticator(Protocol):
    """Turns the credentials of a request into a user."""

    @property
    def required(self) -> bool:
        """True when requests must carry a token."""
        ...

    async def authenticate(self, authorization: str | None) -> User:
        """The user for an Authorization header value (``Bearer <jwt>``) or a bare token."""
        ...


class LocalAuthenticator:
    """Single-user mode: every request is the local user; tokens are ignored."""

    required = False

    async def authenticate(self, authorization: str | None) -> User:
        return LOCAL_USER


def bearer_token(authorization: str | None) -> str | None:
    """The token of an Authorization value: ``Bearer <token>``, or a bare token; None if empty."""
    if authorization is None or not authorization.strip():
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    if not rest:
        if "." in scheme:
            return scheme  # a bare JWT, as websocket connection params often carry it
        raise InvalidToken("expected 'Bearer <token>'")
    if scheme.lower() != "bearer":
        raise InvalidToken(f"unsupported authorization scheme {scheme[:20]!r}; use Bearer")
    return rest.strip()
