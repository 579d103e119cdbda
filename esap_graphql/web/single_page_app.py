"""The astronomer's web interface: the single-page app built from ``web/`` into ``static/app``.

Served at ``/`` by the gateway itself, so ``esap-graphql serve`` gives the whole interface
without Node. Client-side routes (``/archives/x``, ``/query/ds?ra=..``) answer with
``index.html`` (no-cache, so a new build is picked up at once); the hashed assets under
``/assets`` are cached for a year, and sent gzipped when the build shipped a ``.gz`` copy.
``/app-config.json`` tells the app how to sign in. Every other path of the gateway is left
alone: the app's routes are added after them.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from esap_graphql.config import Settings
from esap_graphql.web.graphiql import STATIC_DIR

APP_DIR = STATIC_DIR / "app"
"""The built app (``scripts/build-web.sh`` writes it)."""

#: First path segments of the app's own pages (web/src/App.tsx): they answer with the app.
CLIENT_ROUTES = frozenset({"archives", "query", "multi", "basket", "jobs", "samp", "signin"})

#: Files at the top of the build served as they are.
_ROOT_FILES = frozenset({"favicon.svg"})

_IMMUTABLE = "public, max-age=31536000, immutable"
_NOT_BUILT = (
    "the web interface is not built into this package: run scripts/build-web.sh "
    "(GraphiQL is at /graphql)"
)


def app_config(settings: Settings) -> dict[str, Any]:
    """What the app needs to know at start: sign-in, the GraphQL path, basket limits."""
    return {
        "oidcIssuer": settings.oidc_issuer,
        "oidcClientId": settings.oidc_client_id,
        "oidcScope": "openid profile email",
        "singleUser": settings.oidc_issuer is None,
        "graphqlPath": "/graphql",
        "basketMaxItemsPerCall": settings.basket_max_items_per_call,
    }


def _index(status_code: int = 200) -> Response:
    index = APP_DIR / "index.html"
    if not index.is_file():
        return JSONResponse({"error": "not_built", "message": _NOT_BUILT}, status_code=404)
    return FileResponse(index, status_code=status_code, headers={"Cache-Control": "no-cache"})


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    path = APP_DIR / "assets" / name
    if "/" in name or name.startswith(".") or not path.is_file():
        return JSONResponse({"error": "not_found", "message": f"no asset {name}"}, status_code=404)
    headers = {"Cache-Control": _IMMUTABLE, "Vary": "Accept-Encoding"}
    gzipped = path.with_name(f"{name}.gz")
    if "gzip" in request.headers.get("accept-encoding", "") and gzipped.is_file():
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        headers["Content-Encoding"] = "gzip"
        return FileResponse(gzipped, media_type=media_type, headers=headers)
    return FileResponse(path, headers=headers)


async def _page(request: Request) -> Response:
    """A page of the app: index.html for its routes; the app's not-found page elsewhere."""
    path: str = request.path_params.get("path", "")
    first = path.split("/", 1)[0]
    if path in _ROOT_FILES:
        return FileResponse(APP_DIR / path, headers={"Cache-Control": "public, max-age=3600"})
    if not path or first in CLIENT_ROUTES:
        return _index()
    if _wants_html(request):
        return _index(status_code=404)  # a browser gets the app, which says "not found"
    return JSONResponse({"error": "not_found", "message": f"nothing at /{path}"}, status_code=404)


def web_routes(settings: Settings) -> list[BaseRoute]:
    """The app's routes; mount them after every other route of the gateway."""
    config = app_config(settings)

    async def config_route(request: Request) -> Response:
        return JSONResponse(config, headers={"Cache-Control": "no-cache"})

    return [
        Route("/app-config.json", config_route, methods=["GET"]),
        Route("/assets/{name:path}", _asset, methods=["GET"]),
        Route("/{path:path}", _page, methods=["GET"]),
    ]
