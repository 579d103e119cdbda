"""A real OpenID Connect issuer for tests: discovery and JWKS over HTTP, RSA-signed tokens."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.servers import serve_in_thread

AUDIENCE = "esap-gateway"


def new_key(kid: str) -> RSAKey:
    """A fresh 2048-bit RSA signing key."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class Issuer:
    """Serves /.well-known/openid-configuration and /jwks.json; counts JWKS fetches."""

    keys: list[RSAKey] = field(default_factory=lambda: [new_key("key-1")])
    jwks_fetches: int = 0
    url: str = ""

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse({"issuer": self.url, "jwks_uri": f"{self.url}/jwks.json"})

        async def jwks(request: Request) -> JSONResponse:
            self.jwks_fetches += 1
            return JSONResponse(KeySet(list(self.keys)).as_dict(private=False))

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks.json", jwks),
            ]
        )

    @property
    def jwks_url(self) -> str:
        """Where the keys are published."""
        return f"{self.url}/jwks.json"

    def token(
        self,
        subject: str = "alice",
        *,
        key: RSAKey | None = None,
        expires_in: float = 300,
        **claims: Any,
    ) -> str:
        """A signed access token; claims override iss, aud, exp or add others."""
        signing = key or self.keys[0]
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "exp": int(now + expires_in),
            "preferred_username": subject,
        }
        payload.update(claims)
        header = {"alg": "RS256", "kid": signing.kid, "typ": "JWT"}
        return jwt.encode(header, payload, signing)

    def bearer(self, subject: str = "alice", **kwargs: Any) -> dict[str, str]:
        """An Authorization header carrying a fresh token for ``subject``."""
        return {"Authorization": f"Bearer {self.token(subject, **kwargs)}"}


@contextmanager
def running_issuer() -> Iterator[Issuer]:
    """An issuer served by uvicorn on a free port of 127.0.0.1."""
    issuer = Issuer()
    with serve_in_thread(issuer.app()) as url:
        issuer.url = url
        yield issuer
