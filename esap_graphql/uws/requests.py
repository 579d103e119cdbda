"""What every UWS handler shares: the caller, the job service, URLs, case-insensitive parameters
(DALI), and expected errors translated to HTTP statuses."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from esap_graphql.context import ProcessContext
from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.jobs import Job, UnknownJob
from esap_graphql.domain.users import User
from esap_graphql.resolvers.context import public_base_url
from esap_graphql.services.jobs import JobService
from esap_graphql.web.authentication import require_user

XML = "text/xml; charset=utf-8"
#: The longest blocking WAIT honoured, in seconds (UWS lets the server cap it).
MAX_WAIT = 60.0
#: Parameters that steer the job rather than being job parameters.
_CONTROL = {"type", "runid", "phase", "executionduration", "destruction", "action"}

Handler = Callable[[Request], Awaitable[Response]]


def process(request: Request) -> ProcessContext:
    process: ProcessContext = request.state.process
    return process


def job_service(request: Request) -> JobService:
    return process(request).jobs


def base(request: Request) -> str:
    return public_base_url(request, process(request).settings.public_url)


def jobs_url(request: Request) -> str:
    return f"{base(request)}/uws/jobs"


def job_url(request: Request, job_id: str) -> str:
    return f"{jobs_url(request)}/{job_id}"


class Refused(Exception):
    """The caller could not be identified; ``response`` says why (401 or 503)."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


async def caller(request: Request) -> User:
    outcome = require_user(request)
    if isinstance(outcome, Response):
        raise Refused(outcome)
    return outcome


async def form_values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key.lower(): str(value) for key, value in form.multi_items()}


def query_values(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key.lower(), []).append(value)
    return params


def plain_error(status: int, message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=status)


def guard(handler: Handler) -> Handler:
    """Translate expected errors to HTTP statuses (404 unknown job, 400 usage, 401/503 auth)."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except Refused as exc:
            return exc.response
        except UnknownJob as exc:
            return plain_error(404, exc.message)
        except UsageError as exc:
            return plain_error(400, exc.message)
        except ValueError as exc:
            return plain_error(400, str(exc))

    return guarded


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r}: give a time zone (e.g. a trailing Z)")
    return parsed


def job_parameters(form: dict[str, str]) -> dict[str, Any]:
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


def canonical(service: JobService, type_name: str, params: dict[str, Any]) -> dict[str, Any]:
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


async def read_job(request: Request, user: User) -> Job:
    return await job_service(request).get(user, request.path_params["job_id"])
