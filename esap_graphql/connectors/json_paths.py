"""JMESPath expressions compiled once into Python closures, with jmespath's own meaning.

jmespath evaluates an expression by walking its parse tree for every value,
with a method lookup per node: for the record fields of a 50-record answer
that walk was most of the time spent reading it. Here the parse tree is turned
once into nested closures for the node types record mappings use (fields and
dotted paths, indexes, literals, ``&&`` ``||`` ``!``, multi-selects and
function calls, whose functions stay jmespath's own); any other node
(projections, filters, slices, comparisons, pipes of those) is evaluated by
jmespath's interpreter itself. Tests hold both to the same answers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, cast

import jmespath
from jmespath import functions as jmespath_functions
from jmespath.visitor import TreeInterpreter

Path = Callable[[Any], Any]
Node = Mapping[str, Any]

_INTERPRETER = TreeInterpreter()
_FUNCTIONS = jmespath_functions.Functions()


def _is_false(value: Any) -> bool:
    """JMESPath's falsiness: empty text, list or object, null and false (not 0)."""
    return value == "" or value == [] or value == {} or value is None or value is False


def _field(key: str) -> Path:
    def field(value: Any) -> Any:
        return value.get(key) if type(value) is dict else None

    return field


def _index(position: int) -> Path:
    def index(value: Any) -> Any:
        if type(value) is not list:
            return None
        try:
            return value[position]
        except IndexError:
            return None

    return index


def _chain(steps: list[Path]) -> Path:
    if len(steps) == 2:
        first, second = steps

        def pair(value: Any) -> Any:
            return second(first(value))

        return pair

    def chain(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return chain


def _interpreted(node: Node) -> Path:
    def interpreted(value: Any) -> Any:
        return _INTERPRETER.visit(node, value)  # type: ignore[arg-type]

    return interpreted


def _compile(node: Node) -> Path:
    kind = node["type"]
    children: list[Node] = node.get("children", [])
    if kind == "field":
        return _field(node["value"])
    if kind == "index":
        return _index(node["value"])
    if kind in ("subexpression", "index_expression", "pipe"):
        return _chain([_compile(child) for child in children])
    if kind == "literal":
        literal = node["value"]
        return lambda value: literal
    if kind in ("current", "identity"):
        return lambda value: value
    if kind == "and_expression":
        left, right = (_compile(child) for child in children)
        return lambda value: found if _is_false(found := left(value)) else right(value)
    if kind == "or_expression":
        left, right = (_compile(child) for child in children)
        return lambda value: right(value) if _is_false(found := left(value)) else found
    if kind == "not_expression":
        (inner,) = (_compile(child) for child in children)

        def negated(value: Any) -> Any:
            found = inner(value)
            if type(found) in (int, float) and found == 0:
                return False  # 0 is not false in JMESPath, so !0 is false
            return not found

        return negated
    if kind == "multi_select_list":
        parts = [_compile(child) for child in children]
        return lambda value: None if value is None else [part(value) for part in parts]
    if kind == "multi_select_dict":
        pairs = [(child["value"], _compile(child["children"][0])) for child in children]
        return lambda value: None if value is None else {k: part(value) for k, part in pairs}
    if kind == "function_expression" and all(c["type"] != "expref" for c in children):
        name, arguments = node["value"], [_compile(child) for child in children]

        def call(value: Any) -> Any:
            return _FUNCTIONS.call_function(name, [argument(value) for argument in arguments])

        return call
    return _interpreted(node)


@functools.lru_cache(maxsize=1024)
def compile_path(expression: str) -> Path:
    """A function evaluating ``expression`` on a decoded JSON value (validated at config time).

    It raises ``jmespath.exceptions.JMESPathError`` where jmespath would (a function
    given a value of the wrong type).
    """
    parsed = cast(Node, jmespath.compile(expression).parsed)
    return _compile(parsed)
