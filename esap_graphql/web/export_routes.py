"""GET /baskets/{name}/export.{votable|csv|json}: a basket as a file, for notebooks and tools."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from esap_graphql.context import ProcessContext
from esap_graphql.domain.basket import ExportFormat
from esap_graphql.domain.errors import UsageError
from esap_graphql.web.signed_links import download_user


async def export_basket(request: Request) -> Response:
    """The caller's basket in the format the path names; 401 without a valid token."""
    process: ProcessContext = request.state.process
    user = download_user(request)  # a bearer token, or a signed link (SAMP tools)
    if isinstance(user, Response):
        return user
    try:
        fmt = ExportFormat(request.path_params["format"])
    except ValueError:
        formats = ", ".join(f.value for f in ExportFormat)
        return JSONResponse(
            {"error": "unknown_format", "message": f"export formats are {formats}"},
            status_code=404,
        )
    name = request.path_params["name"]
    try:
        body = await process.baskets.export(user, name, fmt)
    except UsageError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=400)
    return Response(
        body,
        media_type=fmt.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{fmt.extension}"',
            "Cache-Control": "private, no-store",
            "Vary": "Authorization",
        },
    )
