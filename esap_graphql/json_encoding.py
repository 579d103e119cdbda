"""JSON through orjson, with the standard library as the fallback.

A page of 10,000 records is a response of several megabytes; the standard
library's encoder spent as long on it as GraphQL execution did, orjson a
tenth of that. orjson refuses integers beyond 64 bits, which a user's own JSON
(a basket item's native record) may hold; the standard library handles them.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(data: object) -> bytes:
    """``data`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def dumps_str(data: object) -> str:
    """``data`` as compact JSON text (websocket messages are text frames)."""
    return dumps(data).decode()


def loads(text: str | bytes) -> Any:
    """The value of a JSON document."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
