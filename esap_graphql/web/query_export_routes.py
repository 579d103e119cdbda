"""GET /query/{dataset}.votable: one page of a dataset query as a VOTable.

The URL the web interface sends to SAMP tools ("send to TOPCAT/Aladin"; signed when sign-in
is on, see signed_links.py): the same parameters
as the query form and the GraphQL ``query`` field (``ra``, ``dec``, ``radius``, ``target``,
``collection``, ``calibrationLevel``, ``dataproductType``, ``page``, ``pageSize``), answered
through the same query service and cache.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from esap_graphql.context import ProcessContext
from esap_graphql.domain.errors import ArchiveError, EsapError, InvalidParameter, UnknownDataset
from esap_graphql.domain.query import PARAMETER_NAMES, parse_params, public_name
from esap_graphql.formats.result_votable import ResultPage, render_page
from esap_graphql.web.signed_links import download_user

#: The parameters that are numbers; the others are text.
_NUMBERS: dict[str, type] = {"ra": float, "dec": float, "radius": float, "calibration_level": int}
_DEFAULT_PAGE_SIZE = 50


def _number(name: str, raw: str, kind: type) -> int | float:
    try:
        return int(raw) if kind is int else float(raw)
    except ValueError:
        whole = "a whole number" if kind is int else "a number"
        raise InvalidParameter(name, f"must be {whole}, got {raw[:40]!r}") from None


def _error(exc: EsapError, status_code: int) -> JSONResponse:
    body: dict[str, object] = {"error": exc.code, "message": exc.message}
    parameter = getattr(exc, "parameter", None)
    if parameter:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status_code)


async def query_votable(request: Request) -> Response:
    """The page the URL names, as a VOTable; JSON errors with 400, 401, 404 or 502."""
    process: ProcessContext = request.state.process
    user = download_user(request)
    if isinstance(user, Response):
        return user
    queries = process.queries
    try:
        dataset = queries.dataset(request.path_params["dataset"])
    except UnknownDataset as exc:
        return _error(exc, 404)
    url = request.query_params
    try:
        raw: dict[str, object] = {}
        for name in PARAMETER_NAMES:
            key = public_name(name)
            value = url.get(key, "").strip()
            if value:
                kind = _NUMBERS.get(name)
                raw[key] = value if kind is None else _number(key, value, kind)
        params = parse_params(raw)
        page_number = int(_number("page", url.get("page", "1"), int))
        page_size = int(_number("pageSize", url.get("pageSize", str(_DEFAULT_PAGE_SIZE)), int))
        page = queries.page(page_number, page_size)
    except InvalidParameter as exc:
        return _error(exc, 400)
    outcome = await queries.run(dataset, params, page)
    if outcome.error is not None:
        return _error(outcome.error, 502 if isinstance(outcome.error, ArchiveError) else 400)
    assert outcome.result is not None  # no error: records
    body = await asyncio.to_thread(
        render_page,
        ResultPage(
            dataset_id=dataset.id,
            dataset_name=dataset.name,
            page=page.number,
            page_size=page.size,
            total_count=len(outcome.result.records),
            overflow=outcome.result.overflow,
            native_query=outcome.native_query,
        ),
        outcome.rows,
    )
    return Response(
        body,
        media_type="application/x-votable+xml",
        headers={
            "Content-Disposition": f'inline; filename="{dataset.id}-page{page.number}.vot"',
            "Cache-Control": "private, no-store",
            "Vary": "Authorization",
        },
    )


ROUTES = [Route("/query/{dataset}.votable", query_votable, methods=["GET"])]
