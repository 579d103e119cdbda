"""The GraphQL-over-HTTP request, read defensively: a bounded body, strict JSON, the shape the
spec asks for, and bounded variables, each refused as the client's mistake (HTTP 4xx with a
GraphQL-style error body) before graphql-core sees anything.

Variables are walked once, without recursion, before graphql-core coerces them: a list of
100,000 basket items is refused on its length, not after 100,000 items were looked at.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope

#: The media type of the GraphQL-over-HTTP spec; clients that accept it get 4xx for request
#: errors, those that accept only application/json get 200 (as the spec says).
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

# digits past what a 64-bit float holds exactly: such a body is read by the standard
# library, which keeps big integers (a basket item's native record may hold one); orjson
# would turn them into floats. Found with translate + find, at memory speed.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0000000000")
_LONG_NUMBER = b"0" * 16
# every JSON value but the first, and every key, follows one of these
_SEPARATORS = (b",", b":", b"[", b"{")
_SURROGATE = re.compile("[\ud800-\udfff]")


class RequestRefused(HTTPException):
    """An HTTP request the gateway will not run, with its GraphQL error code."""

    def __init__(self, status_code: int, reason: str, code: str) -> None:
        super().__init__(status_code, reason)
        self.code = code


@dataclass(frozen=True)
class InputLimits:
    """Bounds of a request before GraphQL reads it."""

    max_request_bytes: int = 8 * 1024**2
    max_list_length: int = 1_000
    max_nodes: int = 100_000


def media_type(accept: str | None) -> str:
    """The response media type for an Accept header: graphql-response+json when preferred
    (highest q, then first listed); application/json otherwise, */* and no header included."""
    candidates: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept or "").split(",")):
        name, _, params = part.partition(";")
        name = name.strip().lower()
        if name not in (GRAPHQL_RESPONSE_JSON, JSON):
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            candidates.append((q, -position, name))
    return max(candidates)[2] if candidates else JSON


def bounded_receive(scope: Scope, receive: Receive, limits: InputLimits) -> Receive:
    """``receive`` that refuses a body (413) as soon as it is known to exceed the limit:
    from its Content-Length, else once the bytes received pass it."""
    limit = limits.max_request_bytes
    declared = Headers(scope=scope).get("content-length")
    received = 0

    async def bounded() -> Message:
        nonlocal received
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _too_large(limit)
        return message

    return bounded


def _too_large(limit: int) -> RequestRefused:
    return RequestRefused(
        413, f"The request body is larger than {limit} bytes.", "REQUEST_TOO_LARGE"
    )


def parse_json(data: bytes | str, what: str = "request body") -> Any:
    """Strict JSON: UTF-8, no NaN or Infinity, no lone surrogates, bounded nesting."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _LONG_NUMBER not in raw.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise _bad_json(what, str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad_json(what, f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        raise _bad_json(what, str(exc)) from None
    except RecursionError:
        raise _bad_json(what, "nested too deep") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _bad_json(what: str, problem: str) -> RequestRefused:
    return RequestRefused(400, f"The {what} is not valid JSON: {problem[:200]}", "BAD_REQUEST")


def check_structure(body: bytes, limits: InputLimits) -> None:
    """Refuse a body with far more JSON values than variables may hold, before parsing it:
    building 100,000 objects costs more than refusing should. Separators inside strings
    count too, hence the factor of two."""
    separators = sum(body.count(s) for s in _SEPARATORS)
    if separators > 2 * limits.max_nodes:
        raise RequestRefused(
            400,
            f"The request body holds {separators} JSON separators; variables may hold at "
            f"most {limits.max_nodes} values.",
            "INPUT_TOO_LARGE",
        )


def check_input(value: object, limits: InputLimits, what: str = "variables") -> None:
    """Refuse variables with a list too long, too many values, non-finite numbers or lone
    surrogates; one pass, no recursion."""
    stack: list[object] = [value]
    nodes = 0
    while stack:
        item = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            raise RequestRefused(
                400,
                f"The {what} hold more than {limits.max_nodes} values.",
                "INPUT_TOO_LARGE",
            )
        if isinstance(item, list):
            if len(item) > limits.max_list_length:
                raise RequestRefused(
                    400,
                    f"A list in the {what} has {len(item)} items; at most "
                    f"{limits.max_list_length} are accepted.",
                    "INPUT_TOO_LARGE",
                )
            stack.extend(item)
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                raise RequestRefused(
                    400, f"A string in the {what} holds a lone surrogate.", "BAD_REQUEST"
                )
        elif isinstance(item, float) and not math.isfinite(item):
            raise RequestRefused(
                400, f"A number in the {what} is not finite ({item}).", "BAD_REQUEST"
            )


def request_fields(data: object) -> tuple[str | None, dict[str, Any] | None, str | None, Any]:
    """query, variables, operationName and extensions of a request's parameters, as the spec
    types them; anything else is a 400."""
    if not isinstance(data, dict):
        raise RequestRefused(
            400,
            "The request body must be a JSON object with a `query` (batches are not accepted).",
            "BAD_REQUEST",
        )
    query = data.get("query")
    if not isinstance(query, str | None):
        raise RequestRefused(400, "`query` must be a string.", "BAD_REQUEST")
    variables = data.get("variables")
    if not isinstance(variables, dict | None):
        raise RequestRefused(400, "`variables` must be an object or null.", "BAD_REQUEST")
    operation_name = data.get("operationName")
    if not isinstance(operation_name, str | None):
        raise RequestRefused(400, "`operationName` must be a string or null.", "BAD_REQUEST")
    extensions = data.get("extensions")
    if not isinstance(extensions, dict | None):
        raise RequestRefused(400, "`extensions` must be an object or null.", "BAD_REQUEST")
    if query is None or not query.strip():
        raise RequestRefused(400, "The request has no GraphQL `query`.", "BAD_REQUEST")
    if not query.isascii() and _SURROGATE.search(query):
        raise RequestRefused(400, "The query holds a lone surrogate.", "BAD_REQUEST")
    return query, variables, operation_name, extensions
