"""Oversized or over-deep documents are refused; expected errors carry their code."""

from __future__ import annotations

import httpx

from tests.support import graphql


async def test_a_document_with_too_many_tokens_is_refused(client: httpx.AsyncClient) -> None:
    fields = "__typename " * 6000
    body = await graphql(client, "{ " + fields + " }")
    assert body.get("data") is None
    assert "token" in body["errors"][0]["message"].lower()
    assert body["errors"][0]["extensions"] == {"code": "QUERY_TOO_LARGE"}


async def test_a_document_nested_too_deep_is_refused(client: httpx.AsyncClient) -> None:
    nested = "id"
    for _ in range(8):
        nested = f"datasets {{ archive {{ {nested} }} }}"
    body = await graphql(client, "{ archives { " + nested + " } }")
    assert body.get("data") is None
    assert body["errors"][0]["message"] == "The query is nested deeper than 12 levels."
    assert body["errors"][0]["extensions"] == {"code": "QUERY_TOO_DEEP"}


async def test_unreachable_archive_error_in_a_list_field_carries_its_code(
    client: httpx.AsyncClient,
) -> None:
    body = await graphql(client, '{ dataset(id: "dead-tap") { tables { name } } }')
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "archive_unreachable"}
    assert "127.0.0.1:9" in error["message"]


async def test_an_invalid_page_inside_a_result_is_a_coded_error(client: httpx.AsyncClient) -> None:
    body = await graphql(
        client,
        '{ dataset(id: "esap-images") { query(params: {ra: 1, dec: 1, radius: 1}) '
        "{ rows(page: 0) { id } } } }",
    )
    # page 0 is the caller's mistake: a typed, unmasked message with its code
    (error,) = body["errors"]
    assert error["message"] == "page: must be 1 or more"
    assert error["extensions"] == {"code": "invalid_parameter"}
