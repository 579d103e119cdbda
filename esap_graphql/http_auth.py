"""Authentication at the HTTP edge: the user of a request, or the 401/503 answer to send instead.

Errors carry a reason, never the token: nothing here logs or echoes credentials.
"""

from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from esap_graphql.domain.users import User
from esap_graphql.services.auth import (
    AuthenticationError,
    Authenticator,
    IdentityProviderUnavailable,
)

logger = logging.getLogger(__name__)

#: Key of the authenticated user in the ASGI scope's state.
USER_STATE_KEY = "esap_user"


def error_response(exc: AuthenticationError | IdentityProviderUnavailable) -> JSONResponse:
    """The JSON answer for a request whose caller could not be identified."""
    body = {"error": exc.code, "message": exc.message}
    if isinstance(exc, IdentityProviderUnavailable):
        return JSONResponse(body, status_code=503, headers={"Retry-After": "30"})
    challenge = 'Bearer realm="esap-graphql"'
    if exc.code == "invalid_token":
        challenge += ', error="invalid_token"'
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": challenge})


async def authenticate(auth: Authenticator, headers: Headers) -> User | JSONResponse:
    """The caller of an HTTP request, or the error response to send."""
    try:
        return await auth.authenticate(headers.get("authorization"))
    except AuthenticationError as exc:
        logger.info("request refused: %s", exc.code)
        return error_response(exc)
    except IdentityProviderUnavailable as exc:
        logger.warning("cannot check tokens: %s", exc.message)
        return error_response(exc)
