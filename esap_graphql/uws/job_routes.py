"""UWS job list and jobs: list, create (POST), read (with WAIT), delete, and the phase (RUN,
ABORT). POSTs that change a job answer 303 to the job (or to the list after a delete)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from esap_graphql.domain.jobs import JobFilter
from esap_graphql.domain.users import User
from esap_graphql.domain.uws import ExecutionPhase
from esap_graphql.uws import xml
from esap_graphql.uws.requests import (
    MAX_DURATION,
    MAX_LAST,
    MAX_WAIT,
    XML,
    caller,
    canonical,
    form_values,
    guard,
    integer,
    job_parameters,
    job_service,
    job_url,
    jobs_url,
    parse_time,
    query_values,
    read_job,
    seconds,
)


@guard
async def list_jobs(request: Request) -> Response:
    user = await caller(request)
    query = query_values(request)
    phases = frozenset(ExecutionPhase(p.upper()) for p in query.get("phase", []))
    after = parse_time(query["after"][-1]) if "after" in query else None
    last = integer(query["last"][-1], "LAST", low=0, high=MAX_LAST) if "last" in query else None
    jobs = await job_service(request).list(user, JobFilter(phases=phases, after=after, last=last))
    return Response(xml.job_list_document(jobs, jobs_url(request)), media_type=XML)


@guard
async def create_job(request: Request) -> Response:
    user = await caller(request)
    form = await form_values(request)
    if "type" not in form:
        raise ValueError("TYPE is required: the worker type, e.g. query.tap")
    duration = (
        integer(form["executionduration"], "EXECUTIONDURATION", low=0, high=MAX_DURATION)
        if "executionduration" in form
        else None
    )
    service = job_service(request)
    job = await service.create(
        user,
        form["type"],
        canonical(service, form["type"], job_parameters(form)),
        run=form.get("phase", "").upper() == "RUN",
        run_id=form.get("runid"),
        execution_duration=duration,
    )
    return RedirectResponse(job_url(request, job.id), status_code=303)


@guard
async def get_job(request: Request) -> Response:
    user = await caller(request)
    job_id = request.path_params["job_id"]
    query = query_values(request)
    if "wait" in query:
        wait = seconds(query["wait"][-1], "WAIT")
        timeout = MAX_WAIT if wait < 0 else min(wait, MAX_WAIT)
        phase = ExecutionPhase(query["phase"][-1].upper()) if "phase" in query else None
        job = await job_service(request).wait(user, job_id, timeout=timeout, while_in=phase)
    else:
        job = await job_service(request).get(user, job_id)
    return Response(xml.job_document(job, job_url(request, job.id)), media_type=XML)


async def _delete(request: Request, user: User) -> Response:
    await job_service(request).delete(user, request.path_params["job_id"])
    return RedirectResponse(jobs_url(request), status_code=303)


@guard
async def delete_job(request: Request) -> Response:
    return await _delete(request, await caller(request))


@guard
async def post_job(request: Request) -> Response:
    user = await caller(request)
    form = await form_values(request)
    if form.get("action", "").upper() != "DELETE":
        raise ValueError("POST to a job takes ACTION=DELETE")
    return await _delete(request, user)


@guard
async def phase(request: Request) -> Response:
    user = await caller(request)
    if request.method == "GET":
        return PlainTextResponse((await read_job(request, user)).phase.value)
    form = await form_values(request)
    wanted = form.get("phase", "").upper()
    job_id = request.path_params["job_id"]
    if wanted == "RUN":
        await job_service(request).start(user, job_id)
    elif wanted == "ABORT":
        await job_service(request).abort(user, job_id)
    else:
        raise ValueError("PHASE must be RUN or ABORT")
    return RedirectResponse(job_url(request, job_id), status_code=303)
