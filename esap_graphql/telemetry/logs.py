"""Log lines: one JSON object per line (for collectors), or plain text on a terminal; each
carries the request it belongs to (its id, the caller's user id; never a credential)."""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

from esap_graphql.telemetry import tracing

_REQUEST_ID: ContextVar[str | None] = ContextVar("esap_request_id", default=None)
_USER: ContextVar[str | None] = ContextVar("esap_user", default=None)

#: A caller's X-Request-ID is kept when it looks like an id; otherwise we make one.
_GOOD_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


def request_id_from(given: str | None) -> str:
    """The id of a request: the caller's, if it is a sensible token, or a new one."""
    if given and _GOOD_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


@contextlib.contextmanager
def request_scope(request_id: str) -> Iterator[None]:
    """Log lines within the block carry ``request_id``."""
    token = _REQUEST_ID.set(request_id)
    user = _USER.set(None)
    try:
        yield
    finally:
        _USER.reset(user)
        _REQUEST_ID.reset(token)


def set_user(user_id: str | None) -> None:
    """Log lines of the current request from now on carry this user id."""
    _USER.set(user_id or None)


def current_request_id() -> str | None:
    """The id of the request being handled, if any."""
    return _REQUEST_ID.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, user, trace."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        user = _USER.get()
        if user is not None:
            line["user"] = user
        trace_id = tracing.current_trace_id()
        if trace_id is not None:
            line["trace_id"] = trace_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """Plain text for people at a terminal, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = _REQUEST_ID.get()
        return f"{text} [{request_id}]" if request_id is not None else text


def configure(level: str, style: str = "auto") -> None:
    """Root logging at ``level`` on stderr: ``style`` json, text, or auto (text on a
    terminal, JSON otherwise)."""
    if style == "auto":
        style = "text" if sys.stderr.isatty() else "json"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if style == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own loggers carry their handlers; ours formats every line alike
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # At INFO, httpx logs every request it sends: fifty lines per multi-query, and a
    # measurable share of its CPU time. Failed archive requests are logged by the query
    # service itself, with the dataset they belong to.
    quiet = logging.getLevelName(level.upper()) != logging.DEBUG
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
