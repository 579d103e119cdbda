"""Pure parts of the REST/JSON connector: request URLs, JSON paths, follow-up URL checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jmespath.exceptions import JMESPathError

from esap_graphql.connectors.egress import EgressPolicy
from esap_graphql.connectors.follow_up import follow_up_url, same_origin
from esap_graphql.connectors.http_json_answer import _link_header_next
from esap_graphql.connectors.http_json_request import build_url, query_pairs
from esap_graphql.connectors.json_paths import compile_path
from esap_graphql.domain.errors import InvalidParameter, MalformedResponse
from esap_graphql.domain.http_api import lucene_escape
from esap_graphql.domain.query import QueryParams
from tests.queries.http_json_support import http_dataset

BASE = "https://archive.example.org/api/v1/search?format=json"

DATASET = http_dataset(
    BASE,
    """\
parameters:
  target: {name: q, template: 'name:"{value}"', escape: lucene}
  collection: {name: "filter[collection]"}
  ra: ra_deg
  dec: dec_deg
  radius: {name: radius_arcsec, unit: arcsec}
fixed: {public: true}
paging: {style: page, size_parameter: size}
answer: {records: results}
""",
)


def checked(**values: object) -> QueryParams:
    """Parameters as the gateway has them after parsing its input."""
    return QueryParams(**values).validated()  # type: ignore[arg-type]


def valid_params(target: str, collection: str | None) -> QueryParams | None:
    try:
        return checked(target=target, collection=collection, ra=12.5, dec=-3.0, radius=0.5)
    except InvalidParameter:
        return None


@settings(max_examples=300, deadline=None)
@given(target=st.text(min_size=1, max_size=80), collection=st.none() | st.text(max_size=40))
def test_hostile_values_only_ever_change_a_parameter_value(
    target: str, collection: str | None
) -> None:
    params = valid_params(target, collection)
    if params is None:
        return  # refused before any URL is built
    url = build_url(DATASET.access_url, query_pairs(DATASET, params))
    parts = urlsplit(url)
    assert parts.scheme == "https"
    assert parts.netloc == "archive.example.org"
    assert parts.path == "/api/v1/search"
    assert parts.fragment == ""
    sent = parse_qsl(parts.query, keep_blank_values=True)
    names = [name for name, _ in sent]
    # in our vocabulary's order, then the fixed ones
    expected = (
        ["format"] + (["q"] if params.target else []) + ["ra_deg", "dec_deg", "radius_arcsec"]
    )
    expected += ["filter[collection]"] if params.collection else []
    assert names == [*expected, "public"]
    values = dict(sent)
    if params.target:
        assert values["q"] == f'name:"{lucene_escape(params.target)}"'
    if params.collection:
        assert values["filter[collection]"] == params.collection
    assert values["radius_arcsec"] == "1800.0"
    assert values["format"] == "json"


def test_lucene_escaping_leaves_no_query_syntax() -> None:
    assert lucene_escape('a "b" (c) OR d:e*') == 'a \\"b\\" \\(c\\) OR d\\:e\\*'
    assert lucene_escape("plain name") == "plain name"


keys = st.sampled_from(["a", "b", "c", "x-y"])
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(document=json_values, path=st.lists(keys, min_size=1, max_size=4))
def test_dotted_paths_answer_as_jmespath_does(document: Any, path: list[str]) -> None:
    expression = ".".join(f'"{k}"' if "-" in k else k for k in path)
    assert compile_path(expression)(document) == jmespath.search(expression, document)


# every node type a compiled path handles itself, and some it hands to jmespath
EXPRESSIONS = [
    "a",
    "a.b.c",
    '"x-y".a',
    "a[0]",
    "a[-1].b",
    "a[1][0]",
    "a && b",
    "a || b.c",
    "!a",
    "!a.b || c",
    "a && b && join('', ['u/', a, '/', b])",
    "[a, b.c]",
    "{first: a, second: b[0]}",
    "`[1, 2]`",
    "'text'",
    "@",
    "a | b",
    "length(a)",
    "to_string(a)",
    "not_null(a, b, 'none')",
    "sum(a[].b)",
    "a[*].b",
    "a[?b]",
    "a[1:]",
    "max_by(a, &b)",
    "keys(@)",
]


@settings(max_examples=100, deadline=None)
@given(document=json_values)
@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_compiled_paths_answer_as_jmespath_does(document: Any, expression: str) -> None:
    try:
        expected: Any = jmespath.search(expression, document)
    except JMESPathError as exc:
        expected = type(exc)
    try:
        found: Any = compile_path(expression)(document)
    except JMESPathError as exc:
        found = type(exc)
    assert found == expected
    assert type(found) is type(expected)


def test_other_expressions_go_to_jmespath() -> None:
    document = {"files": [{"size": 3}, {"size": 4}], "links": {"html": "h"}}
    assert compile_path("sum(files[].size)")(document) == 7
    assert compile_path("links.self_html || links.html")(document) == "h"
    assert compile_path("files[0].size")(document) == 3


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://archive.example.org/api/v1/search?page=2", True),
        ("https://ARCHIVE.example.org:443/other/path", True),
        ("http://archive.example.org/api/v1/search?page=2", False),
        ("https://archive.example.org:8443/api", False),
        ("https://user:pw@archive.example.org/api", False),
        ("https://archive.example.org.evil.net/api", False),
        ("https://evil.net/?https://archive.example.org/", False),
        ("ftp://archive.example.org/api", False),
    ],
)
def test_same_origin(url: str, allowed: bool) -> None:
    assert same_origin(url, BASE) is allowed


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("?page=3", "https://archive.example.org/api/v1/search?page=3"),
        ("/api/v1/search?page=3", "https://archive.example.org/api/v1/search?page=3"),
        ("next", "https://archive.example.org/api/v1/next"),
    ],
)
def test_relative_follow_ups_resolve_on_the_archive(candidate: str, expected: str) -> None:
    assert follow_up_url(candidate, base=BASE, configured=BASE) == expected


@pytest.mark.parametrize(
    "candidate",
    [
        "//evil.net/api",
        "https://evil.net/api",
        "/\\evil.net/api",
        "https:\\\\evil.net",
        "https://archive.example.org/a b",
        "https://archive.example.org/\x00",
    ],
)
def test_follow_ups_off_the_archive_are_refused(candidate: str) -> None:
    with pytest.raises(MalformedResponse):
        follow_up_url(candidate, base=BASE, configured=BASE)


def test_the_egress_policy_decides_for_other_hosts() -> None:
    policy = EgressPolicy(follow={"archive.example.org": ["files.example.org"]})
    other = "https://files.example.org/page/2"
    assert follow_up_url(other, base=BASE, configured=BASE, policy=policy) == other
    with pytest.raises(MalformedResponse):
        follow_up_url(other, base=BASE, configured=BASE)  # no policy: the origin only
    with pytest.raises(MalformedResponse):
        follow_up_url("https://u:p@files.example.org/", base=BASE, configured=BASE, policy=policy)
    assert not same_origin(other, BASE)  # where credentials may go


def test_link_headers() -> None:
    header = '<https://a.org/x?page=1>; rel="prev", <https://a.org/x?page=3>; rel="next"'
    assert _link_header_next(header) == "https://a.org/x?page=3"
    assert _link_header_next('<https://a.org/x?page=1>; rel="prev"') is None
    assert _link_header_next("</x?p=2>; rel=next") == "/x?p=2"
    assert _link_header_next(None) is None
