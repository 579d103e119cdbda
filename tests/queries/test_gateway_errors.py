"""Errors a user or an archive causes are typed results; everything else is masked."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from esap_graphql.domain.archives import Dataset, Protocol
from esap_graphql.domain.errors import ArchiveFailure
from esap_graphql.domain.query import QueryParams
from tests.queries.conftest import FakeArchive, OpenGateway
from tests.queries.gateway_queries import run_query
from tests.support import (
    DACHS_CATALOGUE,
    DATA,
    InMemoryConnector,
    graphql,
    graphql_data,
    make_records,
)

ERROR_FIELDS = """
  error {
    __typename code message
    ... on InvalidParameter { parameter }
    ... on UnsupportedParameter { parameter }
    ... on ArchiveUnreachable { url }
    ... on ArchiveTimeout { url seconds }
    ... on ArchiveFailure { url httpStatus }
    ... on MalformedResponse { url }
  }
"""


def catalogue_with(extra_datasets: str) -> str:
    """The DaCHS test catalogue plus datasets in a further archive."""
    return (
        DACHS_CATALOGUE.read_text(encoding="utf-8")
        + "  - id: faults\n    name: Archives that misbehave\n    datasets:\n"
        + extra_datasets
    )


def one_dataset(dataset_id: str, protocol: str, url: str, extra: str = "") -> str:
    return (
        f"      - id: {dataset_id}\n        name: {dataset_id}\n        protocol: {protocol}\n"
        f"        access_url: {url}\n{extra}"
    )


async def query_error(client: httpx.AsyncClient, dataset_id: str, params: str) -> dict[str, Any]:
    data = await graphql_data(
        client,
        f'{{ dataset(id: "{dataset_id}") {{ query(params: {params}) '
        f"{{ status totalCount rows {{ id }} {ERROR_FIELDS} }} }} }}",
    )
    result: dict[str, Any] = data["dataset"]["query"]
    return result


@pytest.mark.dachs
@pytest.mark.usefixtures("dachs")
async def test_dead_archive_does_not_stop_another_dataset(client: httpx.AsyncClient) -> None:
    data = await graphql_data(
        client,
        f"""{{
          dead: dataset(id: "dead-tap") {{
            query(params: {{ra: 200, dec: 50, radius: 1}}) {{
              status totalCount rows {{ id }} {ERROR_FIELDS}
            }}
          }}
          alive: dataset(id: "esap-obscore") {{
            query(params: {{ra: 200, dec: 50, radius: 1}}) {{
              status totalCount rows {{ id }} {ERROR_FIELDS}
            }}
          }}
        }}""",
    )
    dead = data["dead"]["query"]
    assert dead["status"] == "ERROR"
    assert dead["totalCount"] is None
    assert dead["rows"] == []
    assert dead["error"]["__typename"] == "ArchiveUnreachable"
    assert dead["error"]["code"] == "archive_unreachable"
    assert dead["error"]["url"].startswith("http://127.0.0.1:9/tap")
    alive = data["alive"]["query"]
    assert alive["status"] == "OK"
    assert alive["error"] is None
    assert alive["totalCount"] == 20
    assert len(alive["rows"]) == 20


@pytest.mark.dachs
@pytest.mark.usefixtures("dachs")
async def test_archive_error_carries_the_archives_message(open_gateway: OpenGateway) -> None:
    client = await open_gateway(
        catalogue_text=catalogue_with(
            one_dataset(
                "missing-table",
                "tap",
                "http://localhost:8080/tap",
                "        table: esaptest.nosuchtable\n",
            )
        )
    )
    result = await query_error(client, "missing-table", "{ra: 200, dec: 50, radius: 1}")
    assert result["status"] == "ERROR"
    error = result["error"]
    assert error["__typename"] == "ArchiveFailure"
    assert error["code"] == "archive_failure"
    assert "Could not locate table 'esaptest.nosuchtable'" in error["message"]
    assert error["url"] == "http://localhost:8080/tap/sync"


async def test_slow_archive_times_out(open_gateway: OpenGateway, fake_archive: FakeArchive) -> None:
    fake_archive.delay = 10.0
    client = await open_gateway(
        catalogue_text=catalogue_with(
            one_dataset("slow", "scs", f"{fake_archive.url}/scs", "        timeout: 0.5\n")
        )
    )
    result = await query_error(client, "slow", "{ra: 200, dec: 50, radius: 1}")
    assert result["status"] == "TIMEOUT"
    assert result["error"]["__typename"] == "ArchiveTimeout"
    assert result["error"]["seconds"] == 0.5
    assert result["error"]["url"] == f"{fake_archive.url}/scs"
    assert "did not answer within 0.5 s" in result["error"]["message"]
    assert len(fake_archive.requests) == 1


async def test_http_error_page_is_an_archive_failure(
    open_gateway: OpenGateway, fake_archive: FakeArchive
) -> None:
    fake_archive.status = 503
    fake_archive.content_type = "text/html"
    fake_archive.body = (DATA / "votables" / "html-error.html").read_bytes()
    client = await open_gateway(
        catalogue_text=catalogue_with(one_dataset("flaky", "sia", f"{fake_archive.url}/sia"))
    )
    result = await query_error(client, "flaky", "{ra: 200, dec: 50, radius: 1}")
    assert result["error"]["__typename"] == "ArchiveFailure"
    assert result["error"]["httpStatus"] == 503
    assert "Not Found" in result["error"]["message"]


async def test_tap_error_document_with_http_status(
    open_gateway: OpenGateway, fake_archive: FakeArchive
) -> None:
    fake_archive.status = 400
    fake_archive.body = (DATA / "votables" / "tap-error.xml").read_bytes()
    client = await open_gateway(
        catalogue_text=catalogue_with(
            one_dataset(
                "bad-tap", "tap", f"{fake_archive.url}/tap", "        table: ivoa.obscore\n"
            )
        )
    )
    result = await query_error(client, "bad-tap", '{target: "M 31"}')
    error = result["error"]
    assert error["__typename"] == "ArchiveFailure"
    assert error["httpStatus"] == 400
    assert "Could not locate table 'ivoa.nosuchtable'" in error["message"]
    assert fake_archive.requests == ["/tap/sync"]


@pytest.mark.parametrize("name", ["truncated.xml", "not-xml.txt"])
async def test_unreadable_answer_is_a_malformed_response(
    open_gateway: OpenGateway, fake_archive: FakeArchive, name: str
) -> None:
    fake_archive.body = (DATA / "votables" / name).read_bytes()
    client = await open_gateway(
        catalogue_text=catalogue_with(one_dataset("garbled", "scs", f"{fake_archive.url}/scs"))
    )
    result = await query_error(client, "garbled", "{ra: 200, dec: 50, radius: 1}")
    assert result["error"]["__typename"] == "MalformedResponse"
    assert result["error"]["code"] == "malformed_response"


async def test_unknown_dataset_is_null(client: httpx.AsyncClient) -> None:
    data = await graphql_data(
        client,
        '{ dataset(id: "no-such-dataset") { id query(params: {ra: 1, dec: 1, radius: 1}) '
        '{ totalCount } } archive(id: "nope") { id } }',
    )
    assert data == {"dataset": None, "archive": None}


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ("{ra: 400, dec: 50, radius: 1}", "ra"),
        ("{ra: 200, dec: -91, radius: 1}", "dec"),
        ("{ra: 200, dec: 50, radius: 0}", "radius"),
        ("{ra: 200, dec: 50, radius: -2}", "radius"),
        ("{ra: 200, dec: 50}", "radius"),
        ("{calibrationLevel: 9}", "calibrationLevel"),
        ('{dataproductType: "hologram"}', "dataproductType"),
        ('{target: "a\\u0000b"}', "target"),
        ("{collection: \"x' OR '1'='1\"}", "collection"),
    ],
)
async def test_invalid_parameters_are_typed_errors(
    open_gateway: OpenGateway, params: str, parameter: str
) -> None:
    connector = InMemoryConnector()
    client = await open_gateway(
        connectors={Protocol.TAP: connector, Protocol.SCS: connector, Protocol.SIA: connector}
    )
    result = await query_error(client, "esap-obscore", params)
    assert result["status"] == "ERROR"
    assert result["error"]["__typename"] == "InvalidParameter"
    assert result["error"]["code"] == "invalid_parameter"
    assert result["error"]["parameter"] == parameter
    assert connector.calls == []  # refused before any archive is asked


async def test_invalid_page_is_a_typed_error(open_gateway: OpenGateway) -> None:
    connector = InMemoryConnector()
    client = await open_gateway(
        connectors={Protocol.TAP: connector, Protocol.SCS: connector, Protocol.SIA: connector},
        max_page_size=100,
    )
    for page, size, parameter in ((0, 10, "page"), (1, 0, "pageSize"), (1, 101, "pageSize")):
        data = await graphql_data(
            client,
            f'{{ dataset(id: "esap-obscore") {{ query(params: {{}}, page: {page}, '
            f"pageSize: {size}) {{ status {ERROR_FIELDS} }} }} }}",
        )
        error = data["dataset"]["query"]["error"]
        assert (error["__typename"], error["parameter"]) == ("InvalidParameter", parameter)
    assert connector.calls == []


async def test_unexpected_exceptions_are_masked(
    open_gateway: OpenGateway, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(dataset: Dataset, params: QueryParams) -> None:
        raise RuntimeError("secret internal detail: password=hunter2")

    connector = InMemoryConnector(on_query=explode)
    client = await open_gateway(
        connectors={Protocol.TAP: connector, Protocol.SCS: connector, Protocol.SIA: connector}
    )
    with caplog.at_level(logging.ERROR):
        body = await graphql(
            client, '{ dataset(id: "esap-obscore") { query(params: {}) { totalCount } } }'
        )
    assert body["errors"][0]["message"] == "Internal server error."
    assert "hunter2" not in str(body)
    assert body["data"] is None or body["data"]["dataset"] is None
    assert "hunter2" in caplog.text  # logged for the operator


async def test_expected_errors_raised_by_a_connector_are_typed(open_gateway: OpenGateway) -> None:
    connector = InMemoryConnector(
        records={"esap-images": make_records(3)},
        failures={"esap-cubes": ArchiveFailure("http://x/tap", "quota exceeded", status=429)},
    )
    client = await open_gateway(
        connectors={Protocol.TAP: connector, Protocol.SCS: connector, Protocol.SIA: connector}
    )
    images = await run_query(client, "esap-images", {})
    cubes = await query_error(client, "esap-cubes", "{}")
    assert images["totalCount"] == 3
    assert cubes["error"]["__typename"] == "ArchiveFailure"
    assert cubes["error"]["httpStatus"] == 429
    assert "quota exceeded" in cubes["error"]["message"]


async def test_graphql_syntax_errors_are_not_masked(client: httpx.AsyncClient) -> None:
    body = await graphql(client, "{ archives { id nosuchfield } }")
    assert "nosuchfield" in body["errors"][0]["message"]


async def test_size_guards_hold_for_repeated_documents(open_gateway: OpenGateway) -> None:
    # parse and validation results are cached per document: the guards must still apply
    client = await open_gateway(max_query_depth=5, max_query_tokens=100)
    deep = "{ archives { " + "datasets { archive { " * 3 + "id" + " } }" * 3 + " } }"
    wide = "{ archives { " + "id " * 120 + "} }"
    for _ in range(3):
        body = await graphql(client, deep)
        assert body["errors"][0]["extensions"] == {"code": "QUERY_TOO_DEEP"}
        assert "deeper than 5 levels" in body["errors"][0]["message"]
        body = await graphql(client, wide)
        assert "more than 100 tokens" in body["errors"][0]["message"]
    ok = await graphql_data(client, "{ archives { id } }")
    assert ok["archives"][0]["id"] == "esap-test"
