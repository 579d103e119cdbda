"""Bad input gets a precise error and loses nothing: basket items with oversized text or
non-finite numbers, UWS parameters with control characters or out-of-range numbers. Whatever
a job's parameters hold, the UWS XML stays valid against the UWS 1.1 schema."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from esap_graphql.domain.basket import TEXT_LIMITS, NewBasketItem, checked_item
from esap_graphql.domain.errors import InvalidParameter
from esap_graphql.domain.jobs import ErrorType, Job, JobError
from esap_graphql.domain.uws import ExecutionPhase
from esap_graphql.uws import xml
from tests.jobs.test_uws_rest import uws_schema  # noqa: F401  (the schema fixture)
from tests.support import graphql


def item(**fields: Any) -> NewBasketItem:
    values: dict[str, Any] = {"dataset_id": "ds", "record_id": "r1", **fields}
    return NewBasketItem(**values)


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("record_id", "recordId"),
        ("title", "title"),
        ("access_url", "accessUrl"),
        ("access_format", "accessFormat"),
        ("dataset_id", "dataset"),
    ],
)
def test_every_text_field_has_a_length_limit(field: str, name: str) -> None:
    limit = TEXT_LIMITS[name]
    checked_item(0, item(**{field: "x" * limit}))
    with pytest.raises(InvalidParameter) as refused:
        checked_item(3, item(**{field: "x" * (limit + 1)}))
    assert refused.value.parameter == f"items[3].{name}"
    assert f"longer than {limit} characters" in refused.value.message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("size_bytes", math.nan),
        ("size_bytes", math.inf),
        ("size_bytes", -1.0),
        ("size_bytes", 1.5),
        ("size_bytes", 2.0**63),
        ("ra", math.nan),
        ("dec", -math.inf),
    ],
)
def test_numbers_must_be_finite_and_in_range(field: str, value: float) -> None:
    with pytest.raises(InvalidParameter) as refused:
        checked_item(0, item(**{field: value}))
    assert refused.value.parameter.startswith("items[0].")


def test_a_whole_float_size_becomes_an_integer() -> None:
    size = checked_item(0, item(size_bytes=2.1e9)).size_bytes
    assert size == 2_100_000_000
    assert isinstance(size, int)


async def test_an_oversized_item_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
) -> None:
    mutation = """mutation($items: [BasketItemInput!]!) { addToBasket(basket: "b", items: $items) {
        __typename ... on Error { code message } ... on InvalidParameter { parameter } } }"""
    good = {"dataset": "esap-obscore", "recordId": "a"}
    bad = {"dataset": "esap-obscore", "recordId": "b", "title": "t" * 5000}
    answer = await graphql(client, mutation, {"items": [good, bad]})
    refused = answer["data"]["addToBasket"]
    assert refused["__typename"] == "InvalidParameter"
    assert refused["parameter"] == "items[1].title"
    count = await graphql(client, '{ basket(name: "b") { count } }')
    assert count["data"]["basket"]["count"] == 0


def job_with(parameters: dict[str, Any], message: str) -> Job:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    return Job(
        id="j1",
        owner="u\x01ser",
        type="test.sleep",
        phase=ExecutionPhase.ERROR,
        parameters=parameters,
        creation_time=now,
        execution_duration=60,
        destruction_time=now + timedelta(days=1),
        run_id="r\x00",
        error=JobError(type=ErrorType.FATAL, code="c", message=message),
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parameters=st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.text(max_size=50) | st.integers() | st.none(),
        max_size=5,
    ),
    message=st.text(max_size=80),
)
def test_uws_documents_are_valid_whatever_the_parameters_hold(
    uws_schema: etree.XMLSchema,  # noqa: F811
    parameters: dict[str, Any],
    message: str,
) -> None:
    job = job_with(parameters, message)
    for document in (
        xml.job_document(job, "http://localhost/uws/jobs/j1"),
        xml.job_list_document([job], "http://localhost/uws/jobs"),
        xml.fragment_document(xml.parameters_element(job.parameters)),
    ):
        parsed = etree.fromstring(document)  # well-formed: no character XML cannot hold
        if parsed.tag.endswith("job") or parsed.tag.endswith("jobs"):
            assert uws_schema.validate(parsed), uws_schema.error_log


@pytest.mark.parametrize(
    "form",
    [
        {"TYPE": "test.sleep", "message": "nul\x00byte"},
        {"TYPE": "test.sleep", "bell\x07name": "x"},
        {"TYPE": "test.sleep", "message": "escape\x1b[31m"},
        {"TYPE": "test.sleep", "EXECUTIONDURATION": "1e20"},
        {"TYPE": "test.sleep", "EXECUTIONDURATION": "nan"},
    ],
)
async def test_bad_uws_parameters_are_a_400_naming_the_problem(
    client: httpx.AsyncClient, form: dict[str, str]
) -> None:
    response = await client.post("/uws/jobs", data=form)
    assert response.status_code == 400
    assert response.text.strip()
    listed = await client.get("/uws/jobs")
    assert "<uws:jobref" not in listed.text  # nothing was created


@pytest.mark.parametrize(
    ("query", "fragment"),
    [("LAST=1e20", "LAST"), ("LAST=-1", "LAST"), ("LAST=99999999999999999999", "LAST")],
)
async def test_bad_uws_list_filters_are_a_400(
    client: httpx.AsyncClient, query: str, fragment: str
) -> None:
    response = await client.get(f"/uws/jobs?{query}")
    assert response.status_code == 400
    assert fragment in response.text
    waited = await client.get("/uws/jobs/nope?WAIT=nan")
    assert waited.status_code == 400
