"""GraphQL over HTTP as the spec says: graphql-http's audit against a gateway process (every
MUST and SHOULD passes), and the client's mistakes answered as client errors (4xx with a
GraphQL-style body, never 500), with application/graphql-response+json honoured."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.security.gateways import gateway_client
from tests.servers import free_port
from tests.support import DACHS_CATALOGUE, NO_SESAME, graphql

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "tests" / "graphql_http_audit"
GRAPHQL_RESPONSE = "application/graphql-response+json"


@contextlib.contextmanager
def gateway_process(data_dir: Path) -> Iterator[str]:
    """`esap-graphql serve` on a free loopback port; yields its /graphql URL."""
    port = free_port()
    env = {
        **os.environ,
        "ESAP_CONFIG": str(DACHS_CATALOGUE),
        "ESAP_DATA_DIR": str(data_dir),
        "ESAP_SESAME_URLS": NO_SESAME,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "esap_graphql", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            assert proc.poll() is None, "the gateway process exited"
            assert time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.1)
        yield f"{url}/graphql"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_graphql_http_audit_passes_every_must_and_should(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (AUDIT / "node_modules" / "graphql-http").is_dir():
        pytest.fail(
            "the graphql-http audit is not installed: run scripts/setup-graphql-http-audit.sh"
        )
    with gateway_process(tmp_path) as url:
        run = subprocess.run(
            [node, "audit.mjs", url], cwd=AUDIT, capture_output=True, text=True, timeout=120
        )
    assert run.returncode == 0, run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert len(results) > 40  # the audit ran whole
    failed = [r for r in results if r["status"] != "ok" and not r["name"].startswith("MAY")]
    for result in failed:
        print(f"{result['id']} {result['name']}: {result['reason']} ({result['body']})")
    assert failed == []
    musts = [r for r in results if r["name"].startswith("MUST")]
    shoulds = [r for r in results if r["name"].startswith("SHOULD")]
    assert musts
    assert shoulds
    print(f"graphql-http audit: {len(musts)} MUST and {len(shoulds)} SHOULD passed")


@pytest.fixture
async def small(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway taking bodies of at most 4 KiB and lists of at most 50 items."""
    async with gateway_client(
        tmp_path, max_request_bytes=4096, max_input_list_length=50, max_input_nodes=500
    ) as client:
        yield client


def refusal(response: httpx.Response, status: int, code: str) -> str:
    """The message of a request refused with ``status`` and a GraphQL-style ``code``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": code}
    assert error["message"] != "Internal server error."
    message: str = error["message"]
    return message


async def post(client: httpx.AsyncClient, content: bytes, **headers: str) -> httpx.Response:
    return await client.post(
        "/graphql", content=content, headers={"content-type": "application/json", **headers}
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"query": "{ __typename }"', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'{"query": "{ __typename }", "x": "\xff\xfe"}', "not valid JSON"),
        (b'{"query": "{ __typename }", "variables": {"a": NaN}}', "not valid JSON"),
        (b'{"query": "{ __typename }", "variables": {"a": 1e400}}', "not valid JSON"),
        (b'{"query": "{ __typename }", "variables": {"a": "\\ud800"}}', "not valid JSON"),
        # a long number: the standard library reads this body; the same refusals hold
        (b'{"query": "{ __typename }", "n": 12345678901234567890, "v": NaN}', "not valid JSON"),
        (
            b'{"query": "{ __typename }", "n": 12345678901234567890, "variables": {"a": 1e400}}',
            "not finite",
        ),
        (
            b'{"query": "{ __typename }", "n": 12345678901234567890, '
            b'"variables": {"a": "\\ud800"}}',
            "lone surrogate",
        ),
        (b"[]", "JSON object"),
        (b"17", "JSON object"),
        (b'"{ __typename }"', "JSON object"),
        (b'[{"query": "{ __typename }"}]', "JSON object"),
        (b'{"query": 1}', "`query` must be a string"),
        (b'{"query": "{ __typename }", "variables": []}', "`variables` must be an object"),
        (b'{"query": "{ __typename }", "operationName": 3}', "`operationName` must be"),
        (b'{"query": "{ __typename }", "extensions": "x"}', "`extensions` must be"),
        (b'{"qeury": "{ __typename }"}', "no GraphQL `query`"),
        (b"", "empty"),
    ],
)
async def test_malformed_bodies_are_400_with_a_graphql_error(
    client: httpx.AsyncClient, content: bytes, problem: str
) -> None:
    for accept in ("application/json", GRAPHQL_RESPONSE):
        response = await post(client, content, accept=accept)
        assert problem in refusal(response, 400, "BAD_REQUEST")
        assert response.headers["content-type"].startswith(accept)


async def test_a_post_without_json_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b'{"query": "{ __typename }"}')
    assert "application/json" in refusal(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_a_body_over_the_limit_is_413_before_it_is_read(
    small: httpx.AsyncClient,
) -> None:
    padding = " " * 5000
    response = await post(small, f'{{"query": "{{ __typename }}{padding}"}}'.encode())
    assert "4096 bytes" in refusal(response, 413, "REQUEST_TOO_LARGE")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"query": "{ __typename }'
        for _ in range(10):
            yield b" " * 1000
        yield b'"}'

    response = await small.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    refusal(response, 413, "REQUEST_TOO_LARGE")
    response = await small.get("/graphql", params={"query": "{ __typename }" + " " * 5000})
    refusal(response, 413, "REQUEST_TOO_LARGE")
    ok = await post(small, b'{"query": "{ __typename }"}')
    assert ok.json() == {"data": {"__typename": "Query"}}


async def test_long_lists_and_many_values_in_variables_are_refused_before_graphql(
    small: httpx.AsyncClient,
) -> None:
    mutation = """mutation($items: [BasketItemInput!]!) {
        addToBasket(basket: "b", items: $items) { __typename } }"""
    items = [{"dataset": "esap-obscore", "recordId": str(i)} for i in range(51)]
    response = await small.post("/graphql", json={"query": mutation, "variables": {"items": items}})
    assert "51 items; at most 50" in refusal(response, 400, "INPUT_TOO_LARGE")
    nested = {"items": [{"dataset": "d", "recordId": "r", "record": {"a": list(range(40))}}] * 20}
    response = await small.post("/graphql", json={"query": mutation, "variables": nested})
    assert "more than 500 values" in refusal(response, 400, "INPUT_TOO_LARGE")
    many = json.dumps({"query": mutation, "variables": {"items": [{}] * 600}}).encode()
    response = await post(small, many)  # 1,200 separators: refused unparsed
    assert "JSON separators" in refusal(response, 400, "INPUT_TOO_LARGE")
    basket = await graphql(small, "{ basket { count } }")
    assert basket["data"]["basket"]["count"] == 0


async def test_variable_coercion_errors_keep_graphql_cores_message(
    client: httpx.AsyncClient,
) -> None:
    document = (
        'query($p: Int!) { dataset(id: "esap-images") { query(params: {}) '
        "{ rows(page: $p) { id } } } }"
    )
    body = await graphql(client, document, {"p": "two"})
    (error,) = body["errors"]
    assert error["message"] == (
        "Variable '$p' has invalid value: Int cannot represent non-integer value: 'two'"
    )
    body = await graphql(client, document, {"p": 2**40})
    assert "Int cannot represent non 32-bit signed integer value" in body["errors"][0]["message"]
    radius = "query($r: Float) { multiQuery(params: {radius: $r}, datasets: []) { elapsedMs } }"
    body = await graphql(client, radius, {"r": "wide"})
    assert "Float cannot represent non numeric value: 'wide'" in body["errors"][0]["message"]


async def test_an_unknown_fragment_is_named(client: httpx.AsyncClient) -> None:
    body = await graphql(client, "{ ...Nope }")
    assert body["errors"][0]["message"] == "Unknown fragment 'Nope'."
    assert body.get("data") is None


async def test_graphql_response_json_gets_400_for_request_errors_and_200_otherwise(
    client: httpx.AsyncClient,
) -> None:
    accept = {"accept": GRAPHQL_RESPONSE}
    ok = await client.post("/graphql", json={"query": "{ __typename }"}, headers=accept)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert ok.json() == {"data": {"__typename": "Query"}}
    for document in ("{", "{ nosuchfield }", "query($id: ID!) { dataset(id: $id) { id } }"):
        refused = await client.post("/graphql", json={"query": document}, headers=accept)
        assert refused.status_code == 400
        assert refused.headers["content-type"].startswith(GRAPHQL_RESPONSE)
        assert "data" not in refused.json()
        assert refused.json()["errors"]
        plain = await client.post("/graphql", json={"query": document})
        assert plain.status_code == 200
        assert plain.headers["content-type"].startswith("application/json")
        assert plain.json()["data"] is None
    # a field error after execution began is not a request error: 200, with data
    partial = await client.post(
        "/graphql",
        json={"query": '{ dataset(id: "dead-tap") { id tables { name } } }'},
        headers=accept,
    )
    assert partial.status_code == 200
    assert partial.json()["errors"][0]["path"] == ["dataset", "tables"]


async def test_a_subscription_over_http_is_told_to_use_the_websocket(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": 'subscription { jobPhase(id: "x") { phase } }'}
    )
    message = refusal(response, 400, "SUBSCRIPTION_NEEDS_WEBSOCKET")
    assert "websocket" in message
    assert "graphql-transport-ws" in message


async def test_a_mutation_over_get_is_405_and_a_query_over_get_runs(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/graphql", params={"query": "mutation { clearBasket { __typename } }"}
    )
    refusal(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, POST"
    response = await client.get(
        "/graphql",
        params={"query": "query($id: ID!) { dataset(id: $id) { id } }", "variables": '{"id": "x"}'},
    )
    assert response.json() == {"data": {"dataset": None}}
    response = await client.get("/graphql", params={"query": "{ __typename }", "variables": "{"})
    assert "`variables` parameter is not valid JSON" in refusal(response, 400, "BAD_REQUEST")
