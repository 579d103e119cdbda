"""Authentication at the HTTP edge, in one place: Starlette's ``AuthenticationMiddleware`` puts
the caller on every HTTP request and websocket (``request.user``); handlers read it.

A request without credentials passes as anonymous: the public routes (health, the GraphiQL
page, static files) serve it, the others answer 401 through ``require_user``. A websocket may
still send its token in ``connection_init``; ``identify`` checks that one the same way.
Errors carry a reason, never the token: nothing here logs or echoes credentials.
"""

from __future__ import annotations

import logging

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.authentication import AuthenticationError as StarletteAuthError
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from esap_graphql.context import ProcessContext
from esap_graphql.domain.users import (
    AuthenticationError,
    IdentityProviderUnavailable,
    MissingToken,
    User,
)
from esap_graphql.identity.authenticators import Authenticator

logger = logging.getLogger(__name__)


class Caller(BaseUser):
    """The authenticated caller of a request, as Starlette sees it."""

    def __init__(self, user: User) -> None:
        self.user = user

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.user.name or self.user.id

    @property
    def identity(self) -> str:
        return self.user.id


class _Refused(StarletteAuthError):
    """Carries our reason through Starlette's middleware to ``error_response``."""

    def __init__(self, cause: AuthenticationError | IdentityProviderUnavailable) -> None:
        super().__init__(cause.message)
        self.cause = cause


async def identify(auth: Authenticator, credential: str | None) -> User:
    """The user a credential (``Bearer <token>`` or a bare token) belongs to; raise
    ``AuthenticationError`` or ``IdentityProviderUnavailable``."""
    try:
        return await auth.authenticate(credential)
    except AuthenticationError as exc:
        logger.info("caller refused: %s", exc.code)
        raise
    except IdentityProviderUnavailable as exc:
        logger.warning("cannot check tokens: %s", exc.message)
        raise


class GatewayAuthBackend(AuthenticationBackend):
    """The caller of a request: the local user in single-user mode, else the bearer token's."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        process: ProcessContext = conn.state.process
        auth = process.auth
        header = conn.headers.get("authorization")
        if auth.required and header is None:
            return None  # anonymous: public routes serve it, the rest answer 401
        try:
            user = await identify(auth, header)
        except (AuthenticationError, IdentityProviderUnavailable) as exc:
            raise _Refused(exc) from None
        return AuthCredentials(["authenticated"]), Caller(user)


def error_response(exc: AuthenticationError | IdentityProviderUnavailable) -> JSONResponse:
    """The JSON answer for a request whose caller could not be identified."""
    body = {"error": exc.code, "message": exc.message}
    if isinstance(exc, IdentityProviderUnavailable):
        return JSONResponse(body, status_code=503, headers={"Retry-After": "30"})
    challenge = 'Bearer realm="esap-graphql"'
    if exc.code == "invalid_token":
        challenge += ', error="invalid_token"'
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": challenge})


def _on_error(conn: HTTPConnection, exc: Exception) -> Response:
    assert isinstance(exc, _Refused)
    return error_response(exc.cause)


def authentication() -> Middleware:
    """The middleware that authenticates every HTTP request and websocket upgrade."""
    return Middleware(AuthenticationMiddleware, backend=GatewayAuthBackend(), on_error=_on_error)


def caller(conn: HTTPConnection) -> User | None:
    """The authenticated user of a request, or None for an anonymous one."""
    user = conn.scope.get("user")
    return user.user if isinstance(user, Caller) else None


def require_user(conn: HTTPConnection) -> User | Response:
    """The caller, or the 401 answer for an anonymous request."""
    return caller(conn) or error_response(MissingToken())
