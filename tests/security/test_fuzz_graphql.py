"""Property-based: whatever document, variables or body a client sends, the gateway answers
as the GraphQL-over-HTTP spec says, never with a 500 and never with "Internal server error."
for the client's own mistake. Archives are in-memory connectors (no network)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from esap_graphql.domain.archives import Protocol
from esap_graphql.schema import build_schema
from tests.security.gateways import gateway_client
from tests.support import InMemoryConnector, make_records

FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CLIENT_STATUSES = {200, 400, 405, 413, 415}

# fields of the schema (on whatever type), a few misspelt, with arguments of every kind
NAMES = st.sampled_from(
    [
        "archives", "archive", "datasets", "dataset", "id", "name", "description", "queryFields",
        "label", "type", "basket", "baskets", "items", "count", "me", "jobs", "query", "rows",
        "totalCount", "__typename", "__schema", "__type", "types", "fields", "ofType", "kind",
        "addToBasket", "clearBasket", "nosuch", "archivez", "table", "columns", "page",
    ]
)  # fmt: skip
ARG_NAMES = st.sampled_from(["id", "params", "page", "pageSize", "name", "protocol", "x", "ids"])
SCALARS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=12).map(json.dumps),
    st.sampled_from(["true", "false", "null", "TAP", "SCS", "$v", "$w", '"esap-images"']),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.dictionaries(
            st.sampled_from(["ra", "dec", "radius", "target", "dataset", "recordId", "zz"]),
            inner,
            max_size=3,
        ).map(lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"),
    ),
    max_leaves=6,
)


@st.composite
def selections(draw: st.DrawFn, depth: int = 0) -> str:
    fields = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(NAMES)
        alias = draw(st.sampled_from(["", "", "a: ", "b: "]))
        arguments = draw(st.dictionaries(ARG_NAMES, VALUES, max_size=2))
        text = alias + name
        if arguments:
            text += "(" + ", ".join(f"{k}: {v}" for k, v in arguments.items()) + ")"
        if depth < 4 and draw(st.booleans()):
            text += " { " + draw(selections(depth + 1)) + " }"
        elif draw(st.integers(0, 9)) == 0:
            text += " { ...F }"
        fields.append(text)
    return " ".join(fields)


@st.composite
def documents(draw: st.DrawFn) -> str:
    operation = draw(st.sampled_from(["", "query ", "query Q($v: Int, $w: String) ", "mutation "]))
    document = operation + "{ " + draw(selections()) + " }"
    if draw(st.booleans()):
        on = draw(st.sampled_from(["Query", "Archive", "Dataset", "Nope"]))
        document += f" fragment F on {on} {{ " + draw(selections()) + " }"
    if draw(st.integers(0, 9)) == 0:  # a stray or missing character
        cut = draw(st.integers(0, len(document)))
        document = document[:cut] + draw(st.sampled_from(["", "{", "}", "(", '"', "$", "..."]))
        document += document[cut + 1 :]
    return document


SCHEMA = build_schema()._schema
# fields that would start work or reach the network even with in-memory archives
SKIPPED = {"createJob", "startJob", "launchAnalysis", "registry", "registryService", "resolve"}


def literal(draw: st.DrawFn, type_: GraphQLInputType, depth: int = 0) -> str:
    """A literal of ``type_``, mostly valid, sometimes out of range or of the wrong kind."""
    if isinstance(type_, GraphQLNonNull):
        return literal(draw, type_.of_type, depth)
    if draw(st.integers(0, 19)) == 0:
        return draw(SCALARS)  # the wrong kind now and then
    if isinstance(type_, GraphQLList):
        items = draw(st.lists(st.just(type_.of_type), max_size=3 if depth < 2 else 0))
        return "[" + ", ".join(literal(draw, t, depth + 1) for t in items) + "]"
    if isinstance(type_, GraphQLEnumType):
        return draw(st.sampled_from(sorted(type_.values)))
    if isinstance(type_, GraphQLInputObjectType):
        names = draw(st.lists(st.sampled_from(sorted(type_.fields)), max_size=3, unique=True))
        required = [n for n, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)]
        chosen = dict.fromkeys([*required, *names])
        return (
            "{"
            + ", ".join(f"{n}: {literal(draw, type_.fields[n].type, depth + 1)}" for n in chosen)
            + "}"
        )
    name = getattr(type_, "name", "")
    if name == "Int":
        return str(draw(st.integers(-(2**33), 2**33)))
    if name == "Float":
        return repr(draw(st.floats(-1e6, 1e6)))
    if name == "Boolean":
        return draw(st.sampled_from(["true", "false"]))
    if name == "JSON":
        return draw(st.sampled_from(["{}", "{a: 1}", "[1, 2]", '"x"']))
    return json.dumps(draw(st.sampled_from(["esap-images", "esap-test", "b", "", "x" * 30])))


@st.composite
def schema_selections(draw: st.DrawFn, parent: GraphQLObjectType, depth: int = 0) -> str:
    """Fields of ``parent`` as the schema has them, with their arguments, nested a few levels."""
    names = sorted(n for n in parent.fields if n not in SKIPPED)
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    fields = []
    for name in chosen:
        definition = parent.fields[name]
        arguments = [
            f"{a}: {literal(draw, arg.type)}"
            for a, arg in definition.args.items()
            if isinstance(arg.type, GraphQLNonNull) or draw(st.booleans())
        ]
        text = name + (f"({', '.join(arguments)})" if arguments else "")
        inner = get_named_type(definition.type)
        if isinstance(inner, GraphQLObjectType):
            if depth >= 3:
                text += " { __typename }"
            else:
                text += " { " + draw(schema_selections(inner, depth + 1)) + " }"
        elif isinstance(inner, GraphQLInterfaceType | GraphQLUnionType):
            text += " { __typename ... on Error { code message } }"
        fields.append(text)
    return " ".join(fields)


@st.composite
def schema_documents(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) == 0:
        return "mutation { " + draw(schema_selections(SCHEMA.mutation_type)) + " }"  # type: ignore[arg-type]
    return "{ " + draw(schema_selections(SCHEMA.query_type)) + " }"  # type: ignore[arg-type]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=10,
)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    connector = InMemoryConnector(records={"esap-images": make_records(5)})
    connectors = {Protocol.TAP: connector, Protocol.SCS: connector, Protocol.SIA: connector}
    async with gateway_client(tmp_path, connectors=connectors, regtap_url="") as http:
        yield http


def assert_client_answer(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in CLIENT_STATUSES, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    event(f"HTTP {response.status_code}, data: {body.get('data') is not None}")
    for error in body.get("errors") or []:
        assert error["message"] != "Internal server error.", body
    return body


@FUZZ
@given(
    document=documents(),
    variables=st.none()
    | st.dictionaries(st.sampled_from(["v", "w", "x"]), JSON_VALUES, max_size=3),
)
async def test_any_document_and_variables_get_a_client_answer(
    client: httpx.AsyncClient, document: str, variables: dict[str, Any] | None
) -> None:
    for accept in ("application/json", "application/graphql-response+json"):
        response = await client.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"accept": accept},
        )
        body = assert_client_answer(response)
        assert "data" in body or "errors" in body


@FUZZ
@given(document=schema_documents())
async def test_documents_the_schema_allows_get_a_client_answer(
    client: httpx.AsyncClient, document: str
) -> None:
    body = assert_client_answer(await client.post("/graphql", json={"query": document}))
    assert "data" in body or "errors" in body


@FUZZ
@given(content=st.binary(max_size=300) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
async def test_any_body_gets_a_client_answer(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post(
        "/graphql", content=content, headers={"content-type": "application/json"}
    )
    assert_client_answer(response)


@FUZZ
@given(text=st.text(max_size=200))
async def test_any_text_as_a_document_gets_a_client_answer(
    client: httpx.AsyncClient, text: str
) -> None:
    # lone surrogates included: json.dumps escapes them, the gateway refuses them
    response = await client.post("/graphql", content=json.dumps({"query": text}).encode(),
                                 headers={"content-type": "application/json"})  # fmt: skip
    assert_client_answer(response)
