"""Scoped tokens: short-lived JWTs the gateway signs itself, for one user's one basket.

An analysis service (a notebook server, a batch job) gets one of these instead of the user's
own sign-in token, which never leaves the gateway. A scoped token names the user (``sub``),
the basket, the allowed actions (``read``, ``write``) and its expiry; it is signed with HS256
under a key only the gateway (and its workers) hold, and marked by its key id so it is told
apart from the identity provider's tokens without trying both.

Where it is accepted is decided elsewhere: ``web/scoped_token_gate`` (which URLs) and
``schema/scope_guard`` (which GraphQL operations). ``ScopedTokenAuthenticator`` turns one
into a ``User`` whose ``scope`` says what it may do.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import OctKey

from esap_graphql.domain.basket import check_basket_name
from esap_graphql.domain.tokens import ScopeAction, TokenScope
from esap_graphql.domain.users import InvalidToken, User
from esap_graphql.identity.authenticators import Authenticator, bearer_token

logger = logging.getLogger(__name__)

#: The ``kid`` header of every scoped token: how one is recognised before it is checked.
KEY_ID = "esap-scoped-v1"
ISSUER = "esap-graphql"
AUDIENCE = "esap-graphql:basket"
KEY_FILE = "scoped-token.key"
_MIN_KEY_BYTES = 32
_MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A scoped token and when it expires."""

    token: str
    expires_at: datetime


class ScopedTokens:
    """Issues and checks scoped tokens with one symmetric key."""

    def __init__(
        self,
        *,
        key: bytes,
        lifetime: float = 3600.0,
        clock: Callable[[], float] = time.time,
        leeway: int = 5,
    ) -> None:
        if len(key) < _MIN_KEY_BYTES:
            raise ValueError(f"a scoped token key needs at least {_MIN_KEY_BYTES} bytes")
        self._key = OctKey.import_key(key)
        self.lifetime = lifetime
        self._clock = clock
        self._leeway = leeway

    def issue(
        self,
        user_id: str,
        basket: str,
        actions: Iterable[ScopeAction],
        *,
        lifetime: float | None = None,
    ) -> IssuedToken:
        """A token for ``user_id``'s ``basket`` allowing ``actions`` (read is always included)."""
        name = check_basket_name(basket)
        allowed = {ScopeAction.READ, *actions}
        now = int(self._clock())
        expires = now + int(lifetime if lifetime is not None else self.lifetime)
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": user_id,
            "basket": name,
            "act": sorted(a.value for a in allowed),
            "iat": now,
            "exp": expires,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode({"alg": "HS256", "kid": KEY_ID}, claims, self._key)
        return IssuedToken(token=token, expires_at=datetime.fromtimestamp(expires, UTC))

    def verify(self, token: str) -> User:
        """The user and scope of a scoped token; raise ``InvalidToken`` saying why not."""
        if len(token) > _MAX_TOKEN_LENGTH:
            raise InvalidToken("token too long")
        try:
            decoded = jwt.decode(token, self._key, algorithms=["HS256"])
        except (JoseError, ValueError):
            raise InvalidToken("not a valid scoped token (bad signature or malformed)") from None
        if decoded.header.get("kid") != KEY_ID:
            raise InvalidToken("not a scoped token")
        registry = jwt.JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=self._leeway,
            iss={"essential": True, "value": ISSUER},
            aud={"essential": True, "value": AUDIENCE},
            sub={"essential": True},
            exp={"essential": True},
        )
        claims = decoded.claims
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise InvalidToken("scoped token has expired") from None
        except JoseError:
            raise InvalidToken("scoped token has invalid claims") from None
        return User(id=str(claims["sub"]), scope=_scope(claims))


def _scope(claims: dict[str, Any]) -> TokenScope:
    basket, actions = claims.get("basket"), claims.get("act")
    if not isinstance(basket, str) or not isinstance(actions, list):
        raise InvalidToken("scoped token lacks its basket or actions")
    try:
        allowed = frozenset(ScopeAction(a) for a in actions)
    except ValueError:
        raise InvalidToken("scoped token names an unknown action") from None
    return TokenScope(
        basket=basket,
        actions=allowed,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


def is_scoped_token(token: str) -> bool:
    """True when the token's header carries the scoped key id (nothing is verified here)."""
    header, _, rest = token.partition(".")
    if not rest or len(header) > 512:
        return False
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return False
    return isinstance(decoded, dict) and decoded.get("kid") == KEY_ID


def scoped_credential(authorization: str | None) -> str | None:
    """The scoped token in an Authorization value, or None when it holds none."""
    try:
        token = bearer_token(authorization)
    except InvalidToken:
        return None
    return token if token is not None and is_scoped_token(token) else None


class ScopedTokenAuthenticator:
    """Accepts scoped tokens, and hands every other credential to the sign-in authenticator."""

    def __init__(self, inner: Authenticator, tokens: ScopedTokens) -> None:
        self._inner = inner
        self._tokens = tokens

    @property
    def required(self) -> bool:
        """As the sign-in authenticator: scoped tokens add no sign-in requirement."""
        return self._inner.required

    async def authenticate(self, authorization: str | None) -> User:
        token = scoped_credential(authorization)
        if token is not None:
            return self._tokens.verify(token)
        return await self._inner.authenticate(authorization)


def signing_key(configured: str | None, data_dir: Path) -> bytes:
    """The configured key, or the one kept under data_dir (made on first use, atomically)."""
    if configured is not None:
        return configured.encode()
    path = data_dir / KEY_FILE
    with contextlib.suppress(FileNotFoundError):
        return _read_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write aside, then link into place: link fails if another process got there first, and
    # then both use that process's key; nobody ever reads a half-written file.
    temporary = path.with_name(f"{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if len(key) < _MIN_KEY_BYTES:
        raise ValueError(f"{path} holds no usable scoped token key; delete it to make a new one")
    return key
