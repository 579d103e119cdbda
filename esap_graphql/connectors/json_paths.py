"""JMESPath expressions compiled once, with plain key lookups for the common dotted path.

Most configured paths are a key or a chain of keys (``RA``,
``metadata.title``); JMESPath's interpreter walks its parse tree for each of
them, about ten times slower than the dictionary lookups it amounts to. Such a
path is answered by ``dict.get`` along its keys, with JMESPath's meaning (a
missing key, or a value that is not an object on the way, gives None); every
other expression goes to jmespath. A test holds both paths to the same answers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, cast

import jmespath

Path = Callable[[Any], Any]


def _keys(parsed: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The keys of a dotted field path, or None when the expression is anything else."""
    if parsed["type"] == "field":
        return (parsed["value"],)
    if parsed["type"] == "subexpression":
        keys: list[str] = []
        for child in parsed["children"]:
            inner = _keys(child)
            if inner is None:
                return None
            keys.extend(inner)
        return tuple(keys)
    return None


def _lookup(keys: tuple[str, ...]) -> Path:
    if len(keys) == 1:
        (key,) = keys

        def one(data: Any) -> Any:
            return data.get(key) if type(data) is dict else None

        return one

    def chain(data: Any) -> Any:
        for key in keys:
            if type(data) is not dict:
                return None
            data = data.get(key)
        return data

    return chain


@functools.lru_cache(maxsize=1024)
def compile_path(expression: str) -> Path:
    """A function evaluating ``expression`` on a decoded JSON value (validated at config time)."""
    compiled = jmespath.compile(expression)
    keys = _keys(cast(Mapping[str, Any], compiled.parsed))
    if keys is not None:
        return _lookup(keys)
    return compiled.search
