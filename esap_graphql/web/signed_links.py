"""Short-lived signed download URLs, for tools that cannot send a bearer token.

SAMP tools (TOPCAT, Aladin) load a table from a URL they are given and know nothing of the
gateway's sign-in. With sign-in on, the web interface asks ``POST /links`` (with its token)
for a URL of one of the caller's downloads: a query page as VOTable
(``/query/{dataset}.votable?...``) or a basket export (``/baskets/{name}/export.{format}``).
The URL names the caller and an expiry and carries an HMAC-SHA256 signature over its path,
its other parameters, the caller and the expiry; it works without a token until it expires
(``ESAP_LINK_TTL``). The key is ``ESAP_LINK_SIGNING_KEY``, or one drawn at start-up (links
then end with the process, and gateways behind one address need the same key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from esap_graphql.config import Settings
from esap_graphql.context import ProcessContext
from esap_graphql.domain.users import User
from esap_graphql.web.authentication import require_user

USER, EXPIRES, SIGNATURE = "user", "expires", "signature"

#: Paths a link may be made for: the caller's own downloads, nothing else.
_SIGNABLE = re.compile(r"^/(query/[^/]+\.votable|baskets/[^/]+/export\.(votable|csv|json))$")


class InvalidLink(Exception):
    """A signed URL that is altered, expired or not signed by this gateway."""

    code = "invalid_link"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.message = f"the signed link was rejected: {reason}"


class LinkSigner:
    """Signs and checks download URLs with one HMAC key."""

    def __init__(self, key: bytes, ttl: float) -> None:
        self._key = key
        self.ttl = ttl

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkSigner:
        """The configured key, or one for the life of this process."""
        configured = settings.link_signing_key
        key = configured.get_secret_value().encode() if configured else secrets.token_bytes(32)
        return cls(key, settings.link_ttl)

    def _signature(
        self, path: str, params: Sequence[tuple[str, str]], user: str, expires: int
    ) -> str:
        message = "\n".join((path, urlencode(sorted(params)), user, str(expires)))
        digest = hmac.new(self._key, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(
        self, path: str, params: Sequence[tuple[str, str]], user: User, *, now: float | None = None
    ) -> tuple[str, int]:
        """``path?params&user=..&expires=..&signature=..`` and its expiry (epoch seconds)."""
        kept = [(k, v) for k, v in params if k not in (USER, EXPIRES, SIGNATURE)]
        expires = int((time.time() if now is None else now) + self.ttl)
        signature = self._signature(path, kept, user.id, expires)
        query = urlencode([*kept, (USER, user.id), (EXPIRES, str(expires)), (SIGNATURE, signature)])
        return f"{path}?{query}", expires

    def verify(self, path: str, params: Sequence[tuple[str, str]]) -> User | None:
        """The user a signed URL speaks for; None when it is not signed; raise InvalidLink."""
        values = dict(params)
        if SIGNATURE not in values:
            return None
        user, expires = values.get(USER, ""), values.get(EXPIRES, "")
        if not user or not expires.isdigit():
            raise InvalidLink("it lacks its user or expiry")
        kept = [(k, v) for k, v in params if k not in (USER, EXPIRES, SIGNATURE)]
        expected = self._signature(path, kept, user, int(expires))
        if not hmac.compare_digest(expected, values[SIGNATURE]):
            raise InvalidLink("the signature does not match")
        if int(expires) < time.time():
            raise InvalidLink("it has expired")
        return User(id=user)


def _signer(request: Request) -> LinkSigner:
    signer = getattr(request.app.state, "link_signer", None)
    if not isinstance(signer, LinkSigner):
        raise RuntimeError("the application has no link signer (see create_app)")
    return signer


def download_user(request: Request) -> User | Response:
    """The caller of a download: a signed link's user, else the authenticated caller (the
    bearer token's, or the local user); the 401 answer otherwise."""
    process: ProcessContext = request.state.process
    if process.auth.required and SIGNATURE in request.query_params:
        try:
            user = _signer(request).verify(request.url.path, request.query_params.multi_items())
        except InvalidLink as exc:
            return JSONResponse({"error": exc.code, "message": exc.message}, status_code=401)
        if user is not None:
            return user
    return require_user(request)


def _base(request: Request, process: ProcessContext) -> str:
    return (process.settings.public_url or str(request.base_url)).rstrip("/")


async def create_link(request: Request) -> Response:
    """POST /links {"url": "/query/ds.votable?..."}: the URL to give a tool, signed if needed."""
    process: ProcessContext = request.state.process
    user = require_user(request)
    if isinstance(user, Response):
        return user
    try:
        body = await request.json()
        target = urlsplit(str(body["url"]))
    except (ValueError, KeyError, TypeError):
        return JSONResponse(
            {"error": "invalid_request", "message": 'send {"url": "/query/..."}'}, status_code=400
        )
    if target.scheme or target.netloc or not _SIGNABLE.match(target.path):
        return JSONResponse(
            {
                "error": "not_signable",
                "message": "links are made for /query/{dataset}.votable and "
                "/baskets/{name}/export.{format} only",
            },
            status_code=400,
        )
    base = _base(request, process)
    if not process.auth.required:  # single-user mode: the plain URL works for anyone
        return JSONResponse({"url": f"{base}{target.path}?{target.query}", "expires": None})
    params = parse_qsl(target.query, keep_blank_values=True)
    signed, expires = _signer(request).sign(target.path, params, user)
    return JSONResponse(
        {"url": f"{base}{signed}", "expires": datetime.fromtimestamp(expires, UTC).isoformat()},
        headers={"Cache-Control": "no-store"},
    )


ROUTES = [Route("/links", create_link, methods=["POST"])]
