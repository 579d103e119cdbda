"""One JSON answer of a REST/JSON archive read into records, its total and its next page.

Pure. An answer of the wrong shape (not JSON, records that are not a list of
objects, a count that is not a number, a position that is text) is
``MalformedResponse`` naming the expression and the item that failed, e.g.
``results[3] > ra (RA): expected a number, got an object``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from jmespath.exceptions import JMESPathError

from esap_graphql.connectors.json_paths import compile_path
from esap_graphql.domain.errors import MalformedResponse
from esap_graphql.domain.http_api import HttpApi
from esap_graphql.domain.records import RECORD_FIELDS, Record
from esap_graphql.json_encoding import loads

_LINK_NEXT = re.compile(r"<([^>]*)>\s*;[^,]*\brel\s*=\s*\"?([^\",;]*)\"?", re.I)


@dataclass(frozen=True, slots=True)
class AnswerPage:
    """What one answer holds: its records, the total count and where the next page is."""

    records: list[Record]
    total: int | None
    next: str | None
    columns: dict[str, None]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


class _Wrong(Exception):
    """A value of the wrong kind; the caller adds where it was."""


def _text(value: Any) -> str | None:
    if type(value) is str and value:
        return value
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _Wrong(f"expected text, got {_kind(value)}")


def _number(value: Any) -> float | None:
    if type(value) is float:
        return value if value - value == 0.0 else None  # finite
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Wrong(f"expected a number, got {_kind(value)}")
    try:
        number = float(value)
    except ValueError:
        raise _Wrong(f"expected a number, got the text {str(value)[:40]!r}") from None
    return number if math.isfinite(number) else None


def _whole(value: Any) -> int | None:
    number = _number(value)
    if number is None:
        return None
    if not number.is_integer():
        raise _Wrong(f"expected a whole number, got {number!r}")
    return int(number)


def _size(value: Any) -> int | None:
    number = _number(value)
    return round(number) if number is not None else None


_CONVERT: Mapping[str, Callable[[Any], Any]] = {
    "id": _text,
    "title": _text,
    "target": _text,
    "ra": _number,
    "dec": _number,
    "fov": _number,
    "dataproduct_type": _text,
    "calibration_level": _whole,
    "collection": _text,
    "size_bytes": _size,
    "access_url": _text,
    "access_format": _text,
    "thumbnail_url": _text,
}


def _fallback_id(item: dict[str, Any]) -> str:
    """A stable id for an item the configuration names no id for."""
    try:
        encoded = orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # integers beyond 64 bits
        encoded = repr(sorted(item.items())).encode()
    return "row:" + hashlib.sha1(encoded, usedforsecurity=False).hexdigest()[:20]


def _link_header_next(value: str | None) -> str | None:
    if not value:
        return None
    for target, rel in _LINK_NEXT.findall(value):
        if "next" in rel.lower().split():
            return target.strip() or None
    return None


def _total(value: Any, expression: str, url: str) -> int | None:
    try:
        total = _whole(value)
    except _Wrong as exc:
        raise MalformedResponse(url, f"answer.total ({expression}): {exc}") from None
    if total is not None and total < 0:
        raise MalformedResponse(url, f"answer.total ({expression}): negative, {total}")
    return total


def _next(value: Any, expression: str, url: str) -> str | None:
    if value is None or value == "" or value is False:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a page number or a numeric cursor
    raise MalformedResponse(url, f"answer.next ({expression}): expected text, got {_kind(value)}")


def _evaluate(expression: str, document: Any, what: str, url: str) -> Any:
    try:
        return compile_path(expression)(document)
    except JMESPathError as exc:
        raise MalformedResponse(url, f"{what} ({expression}): {exc}") from None


def read_answer(
    body: bytes, api: HttpApi, *, url: str, link_header: str | None = None
) -> AnswerPage:
    """The records, total and next page (URL or cursor) of one answer at ``url``."""
    try:
        document = loads(body)
    except (ValueError, RecursionError) as exc:
        raise MalformedResponse(url, f"not JSON: {exc}") from exc
    paths = api.answer
    found = _evaluate(paths.records, document, "answer.records", url)
    if found is None:
        raise MalformedResponse(url, f"answer.records ({paths.records}) found nothing")
    if not isinstance(found, list):
        raise MalformedResponse(
            url, f"answer.records ({paths.records}): expected a list, got {_kind(found)}"
        )
    total = (
        _total(_evaluate(paths.total, document, "answer.total", url), paths.total, url)
        if paths.total
        else None
    )
    if paths.next:
        following = _next(_evaluate(paths.next, document, "answer.next", url), paths.next, url)
    else:
        following = _link_header_next(link_header)
    mapped = [
        (name, compile_path(expression), expression, _CONVERT[name])
        for name in RECORD_FIELDS
        if (expression := api.record.get(name)) is not None
    ]
    columns: dict[str, None] = {}
    records: list[Record] = []
    for index, item in enumerate(found):
        if not isinstance(item, dict):
            raise MalformedResponse(
                url, f"{paths.records}[{index}]: expected an object, got {_kind(item)}"
            )
        columns.update(dict.fromkeys(item))
        values: dict[str, Any] = {}
        for name, path, expression, convert in mapped:
            try:
                values[name] = convert(path(item))
            except (_Wrong, JMESPathError) as exc:
                raise MalformedResponse(
                    url, f"{paths.records}[{index}] > {name} ({expression}): {exc}"
                ) from None
        if values.get("id") is None:
            values["id"] = _fallback_id(item)
        records.append(Record(**values, fields=item))
    return AnswerPage(records=records, total=total, next=following, columns=columns)
