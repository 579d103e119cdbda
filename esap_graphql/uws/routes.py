"""UWS 1.1 REST handlers: parse the request, call the job service once, render XML or text.

Parameter names are case-insensitive (DALI). POSTs that change a job answer 303 to the job
(or to the job list after a delete), as UWS requires.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from esap_graphql.context import ProcessContext
from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.jobs import Job, JobFilter, PhaseEvent, UnknownJob
from esap_graphql.domain.users import User
from esap_graphql.domain.uws import ExecutionPhase
from esap_graphql.resolvers.context import public_base_url
from esap_graphql.services.jobs import JobService
from esap_graphql.uws import xml
from esap_graphql.web.authentication import require_user

XML = "text/xml; charset=utf-8"
#: The longest blocking WAIT honoured, in seconds (UWS lets the server cap it).
MAX_WAIT = 60.0
#: Parameters that steer the job rather than being job parameters.
_CONTROL = {"type", "runid", "phase", "executionduration", "destruction", "action"}

Handler = Callable[[Request], Awaitable[Response]]


def _process(request: Request) -> ProcessContext:
    process: ProcessContext = request.state.process
    return process


def _service(request: Request) -> JobService:
    return _process(request).jobs


def _base(request: Request) -> str:
    return public_base_url(request, _process(request).settings.public_url)


def _jobs_url(request: Request) -> str:
    return f"{_base(request)}/uws/jobs"


def _job_url(request: Request, job_id: str) -> str:
    return f"{_jobs_url(request)}/{job_id}"


class _Refused(Exception):
    """The caller could not be identified; ``response`` says why (401 or 503)."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


async def _user(request: Request) -> User:
    outcome = require_user(request)
    if isinstance(outcome, Response):
        raise _Refused(outcome)
    return outcome


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key.lower(): str(value) for key, value in form.multi_items()}


def _query(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key.lower(), []).append(value)
    return params


def _error(status: int, message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=status)


def _guard(handler: Handler) -> Handler:
    """Translate expected errors to HTTP statuses (404 unknown job, 400 usage, 401/503 auth)."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except _Refused as exc:
            return exc.response
        except UnknownJob as exc:
            return _error(404, exc.message)
        except UsageError as exc:
            return _error(400, exc.message)
        except ValueError as exc:
            return _error(400, str(exc))

    return guarded


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r}: give a time zone (e.g. a trailing Z)")
    return parsed


def _job_parameters(form: dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in form.items():
        if key in _CONTROL:
            continue
        # Parameters are text in UWS; JSON arrays and objects are accepted as such.
        if value[:1] in "[{":
            try:
                params[key] = json.loads(value)
                continue
            except ValueError:
                pass
        params[key] = value
    return params


def _canonical(service: JobService, type_name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Parameter names as the worker type spells them (UWS names are case-insensitive)."""
    job_type = service.types.get(type_name)
    if job_type is None:
        return params
    names: dict[str, str] = {}
    for name, info in job_type.Parameters.model_fields.items():
        names[name.lower()] = name
        if info.alias:
            names[info.alias.lower()] = info.alias
    return {names.get(key, key): value for key, value in params.items()}


@_guard
async def list_jobs(request: Request) -> Response:
    user = await _user(request)
    query = _query(request)
    phases = frozenset(ExecutionPhase(p.upper()) for p in query.get("phase", []))
    after = _parse_time(query["after"][-1]) if "after" in query else None
    last = int(query["last"][-1]) if "last" in query else None
    if last is not None and last < 0:
        raise ValueError("LAST must be 0 or more")
    jobs = await _service(request).list(user, JobFilter(phases=phases, after=after, last=last))
    return Response(xml.job_list_document(jobs, _jobs_url(request)), media_type=XML)


@_guard
async def create_job(request: Request) -> Response:
    user = await _user(request)
    form = await _form(request)
    if "type" not in form:
        raise ValueError("TYPE is required: the worker type, e.g. query.tap")
    duration = int(form["executionduration"]) if "executionduration" in form else None
    service = _service(request)
    job = await service.create(
        user,
        form["type"],
        _canonical(service, form["type"], _job_parameters(form)),
        run=form.get("phase", "").upper() == "RUN",
        run_id=form.get("runid"),
        execution_duration=duration,
    )
    return RedirectResponse(_job_url(request, job.id), status_code=303)


async def _read_job(request: Request, user: User) -> Job:
    return await _service(request).get(user, request.path_params["job_id"])


@_guard
async def get_job(request: Request) -> Response:
    user = await _user(request)
    job_id = request.path_params["job_id"]
    query = _query(request)
    if "wait" in query:
        wait = float(query["wait"][-1])
        timeout = MAX_WAIT if wait < 0 else min(wait, MAX_WAIT)
        phase = ExecutionPhase(query["phase"][-1].upper()) if "phase" in query else None
        job = await _service(request).wait(user, job_id, timeout=timeout, while_in=phase)
    else:
        job = await _service(request).get(user, job_id)
    return Response(xml.job_document(job, _job_url(request, job.id)), media_type=XML)


async def _delete(request: Request, user: User) -> Response:
    await _service(request).delete(user, request.path_params["job_id"])
    return RedirectResponse(_jobs_url(request), status_code=303)


@_guard
async def delete_job(request: Request) -> Response:
    return await _delete(request, await _user(request))


@_guard
async def post_job(request: Request) -> Response:
    user = await _user(request)
    form = await _form(request)
    if form.get("action", "").upper() != "DELETE":
        raise ValueError("POST to a job takes ACTION=DELETE")
    return await _delete(request, user)


@_guard
async def phase(request: Request) -> Response:
    user = await _user(request)
    if request.method == "GET":
        return PlainTextResponse((await _read_job(request, user)).phase.value)
    form = await _form(request)
    wanted = form.get("phase", "").upper()
    job_id = request.path_params["job_id"]
    if wanted == "RUN":
        await _service(request).start(user, job_id)
    elif wanted == "ABORT":
        await _service(request).abort(user, job_id)
    else:
        raise ValueError("PHASE must be RUN or ABORT")
    return RedirectResponse(_job_url(request, job_id), status_code=303)


@_guard
async def execution_duration(request: Request) -> Response:
    user = await _user(request)
    if request.method == "GET":
        return PlainTextResponse(str((await _read_job(request, user)).execution_duration))
    form = await _form(request)
    seconds = int(form.get("executionduration", ""))
    job = await _service(request).set_execution_duration(
        user, request.path_params["job_id"], seconds
    )
    return RedirectResponse(_job_url(request, job.id), status_code=303)


@_guard
async def destruction(request: Request) -> Response:
    user = await _user(request)
    if request.method == "GET":
        job = await _read_job(request, user)
        return PlainTextResponse(xml.format_time(job.destruction_time))
    form = await _form(request)
    when = _parse_time(form.get("destruction", ""))
    job = await _service(request).set_destruction(user, request.path_params["job_id"], when)
    return RedirectResponse(_job_url(request, job.id), status_code=303)


@_guard
async def quote(request: Request) -> Response:
    job = await _read_job(request, await _user(request))
    return PlainTextResponse(xml.format_time(job.quote) if job.quote else "")


@_guard
async def owner(request: Request) -> Response:
    job = await _read_job(request, await _user(request))
    return PlainTextResponse(job.owner)


@_guard
async def error(request: Request) -> Response:
    job = await _read_job(request, await _user(request))
    if job.error is None:
        return _error(404, f"job {job.id} has no error")
    detail = f"\n\n{job.error.detail}" if job.error.detail else ""
    return PlainTextResponse(
        f"{job.error.type.value}: {job.error.code}: {job.error.message}{detail}"
    )


@_guard
async def parameters(request: Request) -> Response:
    user = await _user(request)
    if request.method == "POST":
        service = _service(request)
        current = await _read_job(request, user)
        changes = _canonical(service, current.type, _job_parameters(await _form(request)))
        job = await service.set_parameters(user, current.id, changes)
        return RedirectResponse(_job_url(request, job.id), status_code=303)
    job = await _read_job(request, user)
    return Response(xml.fragment_document(xml.parameters_element(job.parameters)), media_type=XML)


@_guard
async def results(request: Request) -> Response:
    job = await _read_job(request, await _user(request))
    element = xml.results_element(job, _job_url(request, job.id))
    return Response(xml.fragment_document(element), media_type=XML)


@_guard
async def result_file(request: Request) -> Response:
    user = await _user(request)
    result, path = await _service(request).result(
        user, request.path_params["job_id"], request.path_params["name"]
    )
    return FileResponse(path, media_type=result.mime_type, filename=result.name)


def _sse_event(event: PhaseEvent) -> str:
    data = {
        "jobId": event.job_id,
        "phase": event.phase.value,
        "at": xml.format_time(event.at),
        "deleted": event.deleted,
    }
    return f"event: phase\ndata: {json.dumps(data)}\n\n"


def _sse(stream: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@_guard
async def job_events(request: Request) -> Response:
    """Server-sent events: the job's phase now, then each change until it ends."""
    user = await _user(request)
    job = await _read_job(request, user)  # 404 before the stream starts

    async def stream() -> AsyncIterator[str]:
        async for event in _service(request).watch_job(user, job.id):
            yield _sse_event(event)

    return _sse(stream())


@_guard
async def my_events(request: Request) -> Response:
    """Server-sent events: every phase change of every job of the caller. The first line, a
    comment, says the subscription is in place."""
    user = await _user(request)

    async def stream() -> AsyncIterator[str]:
        async with _service(request).events(user) as events:
            yield ": listening\n\n"
            async for event in events:
                yield _sse_event(event)

    return _sse(stream())


ROUTES = [
    Route("/uws/jobs", list_jobs, methods=["GET"]),
    Route("/uws/jobs", create_job, methods=["POST"]),
    Route("/uws/jobs/{job_id}", get_job, methods=["GET"]),
    Route("/uws/jobs/{job_id}", delete_job, methods=["DELETE"]),
    Route("/uws/jobs/{job_id}", post_job, methods=["POST"]),
    Route("/uws/jobs/{job_id}/phase", phase, methods=["GET", "POST"]),
    Route("/uws/jobs/{job_id}/executionduration", execution_duration, methods=["GET", "POST"]),
    Route("/uws/jobs/{job_id}/destruction", destruction, methods=["GET", "POST"]),
    Route("/uws/jobs/{job_id}/quote", quote, methods=["GET"]),
    Route("/uws/jobs/{job_id}/owner", owner, methods=["GET"]),
    Route("/uws/jobs/{job_id}/error", error, methods=["GET"]),
    Route("/uws/jobs/{job_id}/parameters", parameters, methods=["GET", "POST"]),
    Route("/uws/jobs/{job_id}/results", results, methods=["GET"]),
    Route("/uws/jobs/{job_id}/results/{name}", result_file, methods=["GET"]),
    Route("/uws/jobs/{job_id}/events", job_events, methods=["GET"]),
    Route("/uws/events", my_events, methods=["GET"]),
]
