"""Who is asking: the authenticated user or the single local user, and why a caller is refused.

Hierarchy::

    EsapError
     +-- AuthenticationError          the caller could not be identified (HTTP 401)
     |    +-- MissingToken            no bearer token where one is required
     |    +-- InvalidToken            malformed, expired, wrong issuer/audience, bad signature
     +-- IdentityProviderUnavailable  the issuer's discovery document or JWKS cannot be had (503)

Messages say what is wrong with a token, never what the token is.
"""

from __future__ import annotations

from dataclasses import dataclass

from esap_graphql.domain.errors import EsapError
from esap_graphql.domain.tokens import TokenScope

#: The user id every request gets when authentication is off (single-user mode).
LOCAL_USER_ID = "local"


@dataclass(frozen=True, slots=True)
class User:
    """An authenticated principal. ``id`` is stable (the token's issuer and subject)."""

    id: str
    name: str | None = None
    email: str | None = None
    scope: TokenScope | None = None
    """Set when the caller holds a scoped token: it may use that one basket only."""

    @property
    def is_local(self) -> bool:
        """True in single-user mode, when no identity provider is configured."""
        return self.id == LOCAL_USER_ID


LOCAL_USER = User(id=LOCAL_USER_ID, name="local user")


class AuthenticationError(EsapError):
    """The caller could not be identified."""

    code = "unauthenticated"


class MissingToken(AuthenticationError):
    """No bearer token came with a request that needs one."""

    code = "missing_token"

    def __init__(self) -> None:
        super().__init__(
            "this gateway requires sign-in: send 'Authorization: Bearer <token>' "
            "with an access token from the configured OpenID Connect issuer"
        )


class InvalidToken(AuthenticationError):
    """The bearer token cannot be accepted; ``reason`` says why."""

    code = "invalid_token"

    def __init__(self, reason: str) -> None:
        super().__init__(f"the bearer token was rejected: {reason}")
        self.reason = reason


class IdentityProviderUnavailable(EsapError):
    """The issuer's keys could not be fetched, so no token can be checked."""

    code = "identity_provider_unavailable"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot fetch signing keys from {url}: {reason}")
        self.url = url
