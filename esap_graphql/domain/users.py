"""Who is asking: the authenticated user, or the single local user."""

from __future__ import annotations

from dataclasses import dataclass

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
