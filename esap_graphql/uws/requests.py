"""What every UWS handler shares: the caller, the job service, URLs, case-insensitive parameters
(DALI), and expected errors translated to HTTP statuses."""

from __future__ import annotations

import json
import math
import re
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
    """The form's parameters by lower-case name; raise ``ValueError`` (HTTP 400) for a name or
    value holding control characters, or for a file where text was expected."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            raise ValueError(f"{_shown(key)}: UWS parameters are text, not files")
        for text in (key, value):
            if _CONTROL_CHARACTERS.search(text):
                raise ValueError(f"{_shown(key)}: control characters are not allowed")
        values[key.lower()] = value
    return values


def _shown(name: str) -> str:
    return repr(_CONTROL_CHARACTERS.sub("?", name[:40]))


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


def integer(value: str, name: str, *, low: int, high: int) -> int:
    """A whole number between ``low`` and ``high``; raise ``ValueError`` (HTTP 400)."""
    text = value.strip()
    if not text.lstrip("-").isdigit() or len(text) > 12 or not low <= int(text) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def seconds(value: str, name: str) -> float:
    """A finite number of seconds (negative allowed); raise ``ValueError`` (HTTP 400)."""
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number of seconds")
    return number


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r}: give a time zone (e.g. a trailing Z)")
    return parsed


#: Characters refused in UWS parameter names and values: C0 and C1 controls but tab, newline
#: and carriage return (an ADQL query may span lines), and the Unicode non-characters XML
#: cannot hold.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
#: Most fields one UWS form may carry.
MAX_FIELDS = 200
#: Most jobs one list may ask for (LAST).
MAX_LAST = 10_000
#: Longest execution duration a request may name, in seconds (the policy shortens it further).
MAX_DURATION = 10**9


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
