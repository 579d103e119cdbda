"""GraphQL cost limits: depth with fragments measured once (a DAG of fragments, cycles),
aliases, a cost that counts list fields, distinct archive queries, literal lists; each refusal
a GraphQL error with its code, before anything is executed. The parse cache is bounded in bytes.
The introspection and suggestion switches."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from graphql import get_introspection_query, parse

from esap_graphql.domain.archives import Protocol
from esap_graphql.schema import build_schema
from esap_graphql.schema.document_guard import DocumentCache, GuardSettings, _Outcome, prescan
from esap_graphql.schema.document_limits import (
    ARCHIVE_FIELDS,
    DocumentLimits,
    DocumentRefused,
    check_document,
)
from tests.security.gateways import gateway_client
from tests.support import InMemoryConnector, graphql, graphql_data, make_records

SCHEMA = build_schema()._schema
WEB_OPERATIONS = Path(__file__).resolve().parents[2] / "web" / "src"


def refused(document: str, limits: DocumentLimits | None = None) -> DocumentRefused | None:
    """The refusal of ``document`` by the pre-scan of its text, else by the walk of its AST."""
    limits = limits or DocumentLimits()
    early = prescan(document, GuardSettings(limits=limits))
    if early is not None:
        code = (early.extensions or {})["code"]
        return DocumentRefused(str(code), early.message)
    return check_document(SCHEMA, parse(document), limits)


def fragment_dag(levels: int) -> str:
    """Fragments that each spread the previous one twice: 2^levels fields if expanded."""
    parts = ["fragment F0 on Archive { id name }"]
    for i in range(1, levels + 1):
        parts.append(f"fragment F{i} on Archive {{ ...F{i - 1} ...F{i - 1} }}")
    return f"{{ archives {{ ...F{levels} }} }} " + " ".join(parts)


def test_a_dag_of_fragments_is_measured_once_per_fragment() -> None:
    # 2^60 fields once expanded; measured once per fragment, and its cost saturates
    outcome = refused(fragment_dag(60))
    assert outcome is not None
    assert outcome.code == "QUERY_TOO_COSTLY"
    assert refused(fragment_dag(3)) is None  # 16 fields per archive


def test_a_long_chain_of_fragments_needs_no_deep_recursion() -> None:
    parts = ["fragment F0 on Archive { id }"]
    parts += [f"fragment F{i} on Archive {{ ...F{i - 1} }}" for i in range(1, 3000)]
    # over the token limit (the pre-scan refuses it), but the walk alone must cope too
    document = parse("{ archives { ...F2999 } } " + " ".join(parts))
    assert check_document(SCHEMA, document, DocumentLimits()) is None


@pytest.mark.parametrize(
    "document",
    [
        "{ archives { ...A } } fragment A on Archive { ...A }",
        "{ archives { ...A } } fragment A on Archive { datasets { archive { ...B } } } "
        "fragment B on Archive { ...A }",
    ],
)
async def test_fragment_cycles_are_refused_without_looping(
    client: httpx.AsyncClient, document: str
) -> None:
    outcome = refused(document)
    assert outcome is not None
    assert "within itself" in outcome.message
    body = await graphql(client, document)
    assert body["data"] is None
    assert "within itself" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("document", "code"),
    [
        # the 170-byte document of issue 9: each datasets level multiplies by the list size
        (
            "{ archives { datasets { archive { datasets { archive { datasets { archive { "
            "datasets { archive { datasets { archive { id } } } } } } } } } } } }",
            "QUERY_TOO_COSTLY",
        ),
        (
            "{ archives { " + "datasets { archive { " * 6 + "id" + " } }" * 6 + " } }",
            "QUERY_TOO_DEEP",
        ),
        ("{ " + " ".join(f"a{i}: archives {{ id }}" for i in range(31)) + " }", "TOO_MANY_ALIASES"),
        (
            '{ dataset(id: "esap-images") { query(params: {}) { rows(pageSize: 10000) '
            "{ id title ra dec target fov collection sizeBytes } } } }",
            "QUERY_TOO_COSTLY",
        ),
        (
            "{ "
            + " ".join(
                f"q{i}: multiQuery(params: {{radius: {i}}}) {{ elapsedMs }}" for i in range(21)
            )
            + " }",
            "TOO_MANY_ARCHIVE_QUERIES",
        ),
        (
            "mutation { removeFromBasket(ids: [" + ",".join(f'"{i}"' for i in range(1001)) + "]) "
            "{ __typename } }",
            "INPUT_TOO_LARGE",
        ),
    ],
)
async def test_each_limit_refuses_with_its_code(
    client: httpx.AsyncClient, document: str, code: str
) -> None:
    outcome = refused(document)
    assert outcome is not None
    assert outcome.code == code, outcome
    response = await client.post(
        "/graphql",
        json={"query": document},
        headers={"accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": code}
    assert error["message"] == outcome.message


def test_within_the_limits_passes() -> None:
    assert refused("{ archives { id datasets { id queryFields { name label } } } }") is None
    # the same archive question under many aliases is asked once
    same = " ".join(f"q{i}: multiQuery(params: {{radius: 1}}) {{ elapsedMs }}" for i in range(25))
    assert refused("{ " + same + " }", DocumentLimits(max_aliases=100)) is None
    # pageSize is the list's size: a small page of many fields is cheap
    assert (
        refused(
            '{ dataset(id: "x") { query(params: {}) { rows(pageSize: 50) { id title ra dec } } } }'
        )
        is None
    )


def test_standard_introspection_and_graphiql_pass_but_nested_introspection_does_not() -> None:
    assert refused(get_introspection_query(descriptions=True)) is None
    nested = (
        "{ __schema { types { fields { type { fields { type { fields { type { fields { name } "
        "} } } } } } } } }"
    )
    outcome = refused(nested)
    assert outcome is not None
    assert outcome.code == "QUERY_TOO_COSTLY"


def test_every_archive_field_is_in_the_schema() -> None:
    for coordinate in ARCHIVE_FIELDS:
        type_name, field = coordinate.split(".")
        assert field in SCHEMA.get_type(type_name).fields, coordinate  # type: ignore[union-attr]


def test_the_web_interfaces_operations_pass_the_limits() -> None:
    documents = [
        (path, found.group(1))
        for path in WEB_OPERATIONS.rglob("*.tsx")
        for found in re.finditer(r"graphql\(\s*`([^`]*)`", path.read_text(encoding="utf-8"))
    ]
    assert len(documents) > 10
    for path, document in documents:
        assert refused(document) is None, (path, document)


async def test_150_multiquery_aliases_are_refused_before_any_archive_request(
    tmp_path: Path,
) -> None:
    connector = InMemoryConnector(records={"esap-images": make_records(3)})
    connectors = {Protocol.TAP: connector, Protocol.SCS: connector, Protocol.SIA: connector}
    async with gateway_client(tmp_path, connectors=connectors, max_query_aliases=1000) as client:
        aliases = " ".join(
            f"q{i}: multiQuery(params: {{ra: {i}, dec: 1, radius: 0.1}}) {{ elapsedMs }}"
            for i in range(150)
        )
        body = await graphql(client, "{ " + aliases + " }")
        assert body["errors"][0]["extensions"] == {"code": "TOO_MANY_ARCHIVE_QUERIES"}
        assert connector.calls == []
        # the control: two distinct questions reach the archives
        two = await graphql_data(
            client,
            "{ a: multiQuery(params: {ra: 1, dec: 1, radius: 0.1}) { elapsedMs } "
            "b: multiQuery(params: {ra: 2, dec: 1, radius: 0.1}) { elapsedMs } }",
        )
        assert set(two) == {"a", "b"}
        assert connector.calls


def test_the_document_cache_is_bounded_in_bytes() -> None:
    cache = DocumentCache(max_bytes=100_000, max_document_bytes=1_000)
    for i in range(200):
        cache.put(f"{{ archives {{ id }} }} # {i}", _Outcome(None, None))
    assert cache.size_bytes <= 100_000
    assert 0 < len(cache) < 200
    assert cache.get("{ archives { id } } # 199") is not None  # the most recent stay
    assert cache.get("{ archives { id } } # 0") is None
    cache.put("{ archives { id } }" + " " * 2000, _Outcome(None, None))
    assert cache.get("{ archives { id } }" + " " * 2000) is None  # too big to keep


async def test_limits_hold_for_repeated_documents_from_the_cache(client: httpx.AsyncClient) -> None:
    document = "{ " + " ".join(f"a{i}: archives {{ id }}" for i in range(31)) + " }"
    for _ in range(3):
        body = await graphql(client, document)
        assert body["errors"][0]["extensions"] == {"code": "TOO_MANY_ALIASES"}


@pytest.fixture
async def locked_down(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_client(
        tmp_path, graphql_introspection=False, graphql_suggestions=False
    ) as client:
        yield client


async def test_introspection_and_suggestions_are_on_by_default(client: httpx.AsyncClient) -> None:
    data = await graphql_data(client, "{ __schema { queryType { name } } }")
    assert data == {"__schema": {"queryType": {"name": "Query"}}}
    body = await graphql(client, "{ archivez { id } }")
    assert "Did you mean 'archive' or 'archives'?" in body["errors"][0]["message"]


async def test_introspection_and_suggestions_can_be_switched_off(
    locked_down: httpx.AsyncClient,
) -> None:
    for document in ("{ __schema { queryType { name } } }", '{ __type(name: "Query") { name } }'):
        body = await graphql(locked_down, document)
        assert body["data"] is None
        assert "introspection" in body["errors"][0]["message"].lower()
    assert await graphql_data(locked_down, "{ __typename }") == {"__typename": "Query"}
    body = await graphql(locked_down, "{ archivez { id } }")
    assert body["errors"][0]["message"] == "Cannot query field 'archivez' on type 'Query'."
    coerced = await graphql(
        locked_down, "query($p: Protocol) { datasets(protocol: $p) { id } }", {"p": "TAPP"}
    )
    assert "Did you mean" not in coerced["errors"][0]["message"]
    assert "TAPP" in coerced["errors"][0]["message"]


def test_guard_settings_follow_the_process_settings(tmp_path: Path) -> None:
    from esap_graphql.config import Settings
    from esap_graphql.schema.document_guard import guard_settings

    guard = guard_settings(
        Settings(data_dir=tmp_path, max_query_cost=1234, graphql_suggestions=False)
    )
    assert guard.limits.max_cost == 1234
    assert not guard.suggestions
    assert isinstance(guard, GuardSettings)


async def test_limits_apply_over_the_websocket_with_their_code(tmp_path: Path) -> None:
    from gql import GraphQLRequest
    from gql.transport.exceptions import TransportQueryError

    from tests.jobs.conftest import job_settings, live_server, ws_session

    deep = "{ archives { datasets { archive { datasets { id } } } } }"
    aliases = " ".join(f"a{i}: jobId" for i in range(31))
    refusals = [
        (deep, "QUERY_TOO_DEEP"),
        ("subscription { myJobs { " + aliases + " } }", "TOO_MANY_ALIASES"),
    ]
    with live_server(job_settings(tmp_path, max_query_depth=3)) as base:
        async with ws_session(base) as session:
            for document, code in refusals:
                with pytest.raises(TransportQueryError) as refused:
                    await session.execute(GraphQLRequest(document))
                assert refused.value.errors
                assert refused.value.errors[0]["extensions"] == {"code": code}
            # the connection still serves
            answer = await session.execute(GraphQLRequest("{ __typename }"))
            assert answer == {"__typename": "Query"}
