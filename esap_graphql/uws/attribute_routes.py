"""A UWS job's attributes: execution duration, destruction, quote, owner, error, parameters and
results (the files themselves included)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response

from esap_graphql.uws import xml
from esap_graphql.uws.requests import (
    MAX_DURATION,
    XML,
    caller,
    canonical,
    form_values,
    guard,
    integer,
    job_parameters,
    job_service,
    job_url,
    parse_time,
    plain_error,
    read_job,
)


@guard
async def execution_duration(request: Request) -> Response:
    user = await caller(request)
    if request.method == "GET":
        return PlainTextResponse(str((await read_job(request, user)).execution_duration))
    form = await form_values(request)
    seconds = integer(
        form.get("executionduration", ""), "EXECUTIONDURATION", low=0, high=MAX_DURATION
    )
    job = await job_service(request).set_execution_duration(
        user, request.path_params["job_id"], seconds
    )
    return RedirectResponse(job_url(request, job.id), status_code=303)


@guard
async def destruction(request: Request) -> Response:
    user = await caller(request)
    if request.method == "GET":
        job = await read_job(request, user)
        return PlainTextResponse(xml.format_time(job.destruction_time))
    form = await form_values(request)
    when = parse_time(form.get("destruction", ""))
    job = await job_service(request).set_destruction(user, request.path_params["job_id"], when)
    return RedirectResponse(job_url(request, job.id), status_code=303)


@guard
async def quote(request: Request) -> Response:
    job = await read_job(request, await caller(request))
    return PlainTextResponse(xml.format_time(job.quote) if job.quote else "")


@guard
async def owner(request: Request) -> Response:
    job = await read_job(request, await caller(request))
    return PlainTextResponse(job.owner)


@guard
async def error(request: Request) -> Response:
    job = await read_job(request, await caller(request))
    if job.error is None:
        return plain_error(404, f"job {job.id} has no error")
    detail = f"\n\n{job.error.detail}" if job.error.detail else ""
    return PlainTextResponse(
        f"{job.error.type.value}: {job.error.code}: {job.error.message}{detail}"
    )


@guard
async def parameters(request: Request) -> Response:
    user = await caller(request)
    if request.method == "POST":
        service = job_service(request)
        current = await read_job(request, user)
        changes = canonical(service, current.type, job_parameters(await form_values(request)))
        job = await service.set_parameters(user, current.id, changes)
        return RedirectResponse(job_url(request, job.id), status_code=303)
    job = await read_job(request, user)
    return Response(xml.fragment_document(xml.parameters_element(job.parameters)), media_type=XML)


@guard
async def results(request: Request) -> Response:
    job = await read_job(request, await caller(request))
    element = xml.results_element(job, job_url(request, job.id))
    return Response(xml.fragment_document(element), media_type=XML)


@guard
async def result_file(request: Request) -> Response:
    user = await caller(request)
    result, path = await job_service(request).result(
        user, request.path_params["job_id"], request.path_params["name"]
    )
    return FileResponse(path, media_type=result.mime_type, filename=result.name)
