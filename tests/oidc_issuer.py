"""A real OpenID Connect issuer for tests: discovery and JWKS over HTTP, RSA-signed tokens, and
the authorization code flow with PKCE (S256) for browser sign-in, consenting automatically."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.servers import serve_in_thread

AUDIENCE = "esap-gateway"


def new_key(kid: str) -> RSAKey:
    """A fresh 2048-bit RSA signing key."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    subject: str
    expires: float


@dataclass
class Issuer:
    """Serves discovery, /jwks.json, /authorize and /token; counts JWKS fetches.

    /authorize signs ``subject`` in without asking (auto-consent) and needs a PKCE S256
    challenge; /token checks the code's verifier, client and redirect URI, once per code.
    """

    keys: list[RSAKey] = field(default_factory=lambda: [new_key("key-1")])
    jwks_fetches: int = 0
    url: str = ""
    client_id: str = AUDIENCE
    subject: str = "alice"
    token_lifetime: float = 300
    #: What /token answered, in order: "issued" or the OAuth error code.
    token_outcomes: list[str] = field(default_factory=list)
    _grants: dict[str, _Grant] = field(default_factory=dict)

    def _authorize(self, request: Request) -> Response:
        query = request.query_params
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri.startswith("http"):
            return JSONResponse({"error": "invalid_client"}, status_code=400)

        def back(**params: str) -> RedirectResponse:
            state = query.get("state")
            if state is not None:
                params["state"] = state
            return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=302)

        if query.get("response_type") != "code":
            return back(error="unsupported_response_type")
        challenge = query.get("code_challenge", "")
        if query.get("code_challenge_method") != "S256" or len(challenge) < 43:
            return back(error="invalid_request", error_description="PKCE S256 is required")
        code = secrets.token_urlsafe(24)
        self._grants[code] = _Grant(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            challenge=challenge,
            subject=self.subject,
            expires=time.time() + 60,
        )
        return back(code=code)

    async def _token(self, request: Request) -> JSONResponse:
        form = await request.form()

        def refuse(error: str, description: str) -> JSONResponse:
            self.token_outcomes.append(error)
            return JSONResponse({"error": error, "error_description": description}, status_code=400)

        if form.get("grant_type") != "authorization_code":
            return refuse("unsupported_grant_type", "only authorization_code")
        grant = self._grants.pop(str(form.get("code", "")), None)  # a code works once
        if grant is None or grant.expires < time.time():
            return refuse("invalid_grant", "unknown, used or expired code")
        if form.get("client_id") != grant.client_id:
            return refuse("invalid_client", "the code was issued to another client")
        if form.get("redirect_uri") != grant.redirect_uri:
            return refuse("invalid_grant", "redirect_uri differs from the authorization request")
        if s256(str(form.get("code_verifier", ""))) != grant.challenge:
            return refuse("invalid_grant", "PKCE verification failed")
        self.token_outcomes.append("issued")
        return JSONResponse(
            {
                "access_token": self.token(grant.subject, expires_in=self.token_lifetime),
                "token_type": "Bearer",
                "expires_in": int(self.token_lifetime),
                "scope": "openid profile email",
            },
            headers={"Cache-Control": "no-store"},
        )

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse(
                {
                    "issuer": self.url,
                    "jwks_uri": f"{self.url}/jwks.json",
                    "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token",
                    "response_types_supported": ["code"],
                    "grant_types_supported": ["authorization_code"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["none"],
                }
            )

        async def jwks(request: Request) -> JSONResponse:
            self.jwks_fetches += 1
            return JSONResponse(KeySet(list(self.keys)).as_dict(private=False))

        async def authorize(request: Request) -> Response:
            return self._authorize(request)

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks.json", jwks),
                Route("/authorize", authorize),
                Route("/token", self._token, methods=["POST"]),
            ],
            # a browser app on another origin calls discovery and /token, as with real issuers
            middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"])],
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
