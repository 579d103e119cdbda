"""OpenID Connect bearer tokens, checked against the issuer's JWKS (fetched with httpx).

Messages say what is wrong with a token, never what the token is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from esap_graphql.domain.users import (
    IdentityProviderUnavailable,
    InvalidToken,
    MissingToken,
    User,
)
from esap_graphql.identity.authenticators import bearer_token

logger = logging.getLogger(__name__)

#: Signature algorithms accepted: asymmetric only, so a public key can never verify an HMAC.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")

_MAX_TOKEN_LENGTH = 16_384


class OidcAuthenticator:
    """Validates JWT access tokens: signature (issuer's JWKS), issuer, audience and expiry."""

    required = True

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | None,
        jwks_url: str | None,
        http: httpx.AsyncClient,
        timeout: float = 10.0,
        cache_ttl: float = 3600.0,
        refresh_interval: float = 30.0,
        leeway: int = 30,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._jwks_url = jwks_url
        self._http = http
        self._timeout = timeout
        self._cache_ttl = cache_ttl
        self._refresh_interval = refresh_interval
        self._leeway = leeway
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def authenticate(self, authorization: str | None) -> User:
        token = bearer_token(authorization)
        if token is None:
            raise MissingToken()
        if len(token) > _MAX_TOKEN_LENGTH:
            raise InvalidToken("token too long")
        keys = await self._key_set()
        try:
            decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
        except InvalidKeyIdError:
            # The issuer may have rotated its keys since we fetched them: fetch once more.
            keys = await self._key_set(stale=keys)
            try:
                decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
            except JoseError as exc:
                raise InvalidToken(_reason(exc)) from None
        except (JoseError, ValueError) as exc:
            raise InvalidToken(_reason(exc)) from None
        return self._user(decoded.claims)

    def _user(self, claims: dict[str, Any]) -> User:
        options: dict[str, Any] = {
            "iss": {"essential": True, "values": _issuer_variants(self._issuer)},
            "exp": {"essential": True},
            "sub": {"essential": True},
        }
        if self._audience:
            options["aud"] = {"essential": True, "value": self._audience}
        registry = jwt.JWTClaimsRegistry(leeway=self._leeway, **options)
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise InvalidToken("token has expired") from None
        except MissingClaimError as exc:
            raise InvalidToken(f"token lacks the {_claim_name(exc)} claim") from None
        except InvalidClaimError as exc:
            name = _claim_name(exc)
            what = {"iss": "wrong issuer", "aud": "wrong audience"}.get(name)
            raise InvalidToken(what or f"invalid {name} claim") from None
        except JoseError as exc:
            raise InvalidToken(_reason(exc)) from None
        subject = str(claims["sub"])
        display = claims.get("preferred_username") or claims.get("name")
        email = claims.get("email")
        return User(
            id=f"{self._issuer.rstrip('/')}|{subject}",
            name=str(display) if display is not None else None,
            email=str(email) if email is not None else None,
        )

    async def _key_set(self, *, stale: KeySet | None = None) -> KeySet:
        """The cached JWKS; refetched when older than the TTL or when ``stale`` is current."""
        now = time.monotonic()
        keys = self._keys
        if keys is not None and keys is not stale and now - self._fetched_at < self._cache_ttl:
            return keys
        async with self._lock:
            now = time.monotonic()
            if self._keys is not None:
                age = now - self._fetched_at
                if self._keys is not stale and age < self._cache_ttl:
                    return self._keys  # another request fetched them meanwhile
                if self._keys is stale and age < self._refresh_interval:
                    return (
                        self._keys
                    )  # refetching on every unknown kid would let callers flood the issuer
            try:
                fresh = await self._fetch()
            except IdentityProviderUnavailable as exc:
                if self._keys is None:
                    raise
                # Keep checking tokens with the keys we have; try the issuer again soon.
                logger.warning("keeping cached signing keys: %s", exc.message)
                self._fetched_at = now - self._cache_ttl + self._refresh_interval
                return self._keys
            self._keys = fresh
            self._fetched_at = time.monotonic()
            return self._keys

    async def _fetch(self) -> KeySet:
        url = self._jwks_url or await self._discover()
        body = await self._get_json(url)
        try:
            keys = KeySet.import_key_set(body)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise IdentityProviderUnavailable(url, f"not a JWKS ({exc})") from exc
        logger.info("fetched %d signing keys from %s", len(keys.keys), url)
        return keys

    async def _discover(self) -> str:
        url = self._issuer.rstrip("/") + "/.well-known/openid-configuration"
        body = await self._get_json(url)
        jwks_uri = body.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise IdentityProviderUnavailable(url, "the discovery document has no jwks_uri")
        self._jwks_url = jwks_uri
        return jwks_uri

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url, timeout=self._timeout)
            response.raise_for_status()
            body = response.json()
        except httpx.TimeoutException as exc:
            raise IdentityProviderUnavailable(url, f"no answer within {self._timeout:g} s") from exc
        except httpx.HTTPStatusError as exc:
            raise IdentityProviderUnavailable(url, f"HTTP {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise IdentityProviderUnavailable(url, type(exc).__name__) from exc
        except ValueError as exc:
            raise IdentityProviderUnavailable(url, "the answer is not JSON") from exc
        if not isinstance(body, dict):
            raise IdentityProviderUnavailable(url, "the answer is not a JSON object")
        return body


def _issuer_variants(issuer: str) -> list[str]:
    # Providers differ on the trailing slash; both spellings name the same issuer.
    bare = issuer.rstrip("/")
    return [bare, bare + "/"]


def _claim_name(exc: JoseError) -> str:
    # joserfc describes claim errors as "Invalid claim: 'aud'".
    quoted = str(exc.description or "").split("'")
    return quoted[1] if len(quoted) > 2 else "required"


def _reason(exc: Exception) -> str:
    if isinstance(exc, BadSignatureError):
        return "bad signature"
    if isinstance(exc, InvalidKeyIdError):
        return "signed with a key the issuer does not publish"
    if isinstance(exc, JoseError) and exc.error == "unsupported_algorithm":
        return "unsupported signature algorithm"
    if isinstance(exc, JoseError):
        return f"malformed token ({exc.error})"
    return "malformed token"
