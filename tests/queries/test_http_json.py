"""The REST/JSON connector against the local stand-in: paging, limits, auth, bad answers.

The archives it is written for cannot be reached from here; tests/recorded_apis.py
serves answers in their documented formats, and synthetic archives for the paging
styles the shipped ones do not use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esap_graphql.connectors.egress import EgressPolicy
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.connectors.http_json import HttpJsonConnector
from esap_graphql.domain.errors import (
    ArchiveFailure,
    ArchiveTimeout,
    InvalidParameter,
    MalformedResponse,
    UnsupportedParameter,
)
from esap_graphql.domain.query import QueryParams
from tests.queries.http_json_support import SYNTHETIC_ANSWER, http_dataset
from tests.recorded_apis import API_KEY, RecordedApis


def checked(**values: object) -> QueryParams:
    """Parameters as the gateway has them after parsing its input."""
    return QueryParams(**values).validated()  # type: ignore[arg-type]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def connector(http: httpx.AsyncClient, environ: dict[str, str] | None = None) -> HttpJsonConnector:
    return HttpJsonConnector(http=http, environ=environ or {})


def paged(style: str, *, size: int = 5, extra: str = "") -> str:
    parameters = {
        "page": "{style: page, page_size: %d, size_parameter: size, page_parameter: page}",
        "offset": "{style: offset, page_size: %d, size_parameter: size, offset_parameter: offset}",
        "cursor": "{style: cursor, page_size: %d, size_parameter: size, cursor_parameter: cursor}",
        "link": "{style: link, page_size: %d, size_parameter: size}",
    }[style]
    answer = SYNTHETIC_ANSWER
    if style in ("cursor", "link"):
        answer = answer.replace("total: meta.total}", "total: meta.total, next: meta.next}")
    return f"paging: {parameters % size}\n{answer}{extra}"


def fixed(total: int, **more: str) -> str:
    pairs = ", ".join([f"total: {total}", *(f"{k}: {v}" for k, v in more.items())])
    return f"fixed: {{{pairs}}}\n"


@pytest.mark.parametrize("style", ["page", "offset", "cursor", "link"])
async def test_every_paging_style_reads_every_record(
    recorded_apis: RecordedApis, http: httpx.AsyncClient, style: str
) -> None:
    dataset = http_dataset(f"{recorded_apis.url}/synthetic/{style}", paged(style) + fixed(23))
    recorded_apis.clear()
    result = await connector(http).query(dataset, QueryParams(), limit=1000, timeout=10)
    assert [r.id for r in result.records] == [str(i) for i in range(23)]
    assert not result.overflow
    assert result.records[3].ra == 4.5
    assert result.records[3].dec == 10.0
    assert result.records[3].title == "item 3"
    assert dict(result.records[3].fields) == {
        "uid": 3,
        "name": "item 3",
        "pos": {"ra": 4.5, "dec": 10.0},
    }
    assert [c.name for c in result.columns] == ["uid", "name", "pos"]
    seen = recorded_apis.requests(f"/synthetic/{style}")
    assert len(seen) == 5  # ceil(23 / 5)
    assert all(s.param("size") == "5" for s in seen)
    if style == "page":
        assert [s.param("page") for s in seen] == ["1", "2", "3", "4", "5"]
    elif style == "offset":
        assert [s.param("offset") for s in seen] == ["0", "5", "10", "15", "20"]
    elif style == "cursor":
        assert seen[0].param("cursor") is None
        assert all(s.param("cursor") for s in seen[1:])
    else:
        assert [s.param("start") for s in seen] == [None, "5", "10", "15", "20"]


async def test_link_paging_follows_relative_urls_and_link_headers(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    relative = http_dataset(
        f"{recorded_apis.url}/synthetic/link", paged("link") + fixed(12, relative="1")
    )
    result = await connector(http).query(relative, QueryParams(), limit=100, timeout=10)
    assert len(result.records) == 12
    header = http_dataset(
        f"{recorded_apis.url}/synthetic/link",
        paged("link").replace(", next: meta.next", "") + fixed(12, header="1"),
    )
    recorded_apis.clear()
    result = await connector(http).query(header, QueryParams(), limit=100, timeout=10)
    assert len(result.records) == 12
    assert len(recorded_apis.requests("/synthetic/link")) == 3


async def test_the_record_limit_stops_paging_and_reports_overflow(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    dataset = http_dataset(f"{recorded_apis.url}/synthetic/page", paged("page") + fixed(23))
    recorded_apis.clear()
    result = await connector(http).query(dataset, QueryParams(), limit=7, timeout=10)
    assert [r.id for r in result.records] == [str(i) for i in range(7)]
    assert result.overflow
    assert len(recorded_apis.requests("/synthetic/page")) == 2
    exact = await connector(http).query(dataset, QueryParams(), limit=23, timeout=10)
    assert len(exact.records) == 23
    assert not exact.overflow


async def test_a_small_limit_asks_for_small_pages(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    dataset = http_dataset(f"{recorded_apis.url}/synthetic/offset", paged("offset", size=100))
    recorded_apis.clear()
    result = await connector(http).query(dataset, QueryParams(), limit=3, timeout=10)
    assert result.records == ()  # total is 0 when the archive is not told otherwise
    assert recorded_apis.requests("/synthetic/offset")[0].param("size") == "3"


async def test_the_page_cap_stops_paging_and_reports_overflow(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    http_block = paged("cursor").replace(
        "cursor_parameter: cursor}", "cursor_parameter: cursor, max_pages: 2}"
    )
    dataset = http_dataset(f"{recorded_apis.url}/synthetic/cursor", http_block + fixed(23))
    result = await connector(http).query(dataset, QueryParams(), limit=1000, timeout=10)
    assert len(result.records) == 10
    assert result.overflow


async def test_native_query_is_the_first_url(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    dataset = http_dataset(
        f"{recorded_apis.url}/synthetic/page",
        paged("page") + fixed(3) + "parameters: {ra: view_ra, dec: view_dec, radius: view_fov}\n",
    )
    params = QueryParams(ra=10.0, dec=-5.5, radius=0.25)
    native = connector(http).native_query(dataset, params, limit=100)
    assert native == (
        f"{recorded_apis.url}/synthetic/page?view_ra=10.0&view_dec=-5.5&view_fov=0.25"
        "&total=3&size=5&page=1"
    )
    result = await connector(http).query(dataset, params, limit=100, timeout=10)
    assert result.native_query == native


async def test_templates_units_escaping_and_value_tables(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    dataset = http_dataset(
        f"{recorded_apis.url}/echo",
        """\
parameters:
  target: {name: q, template: 'title:"{value}"', escape: lucene}
  ra: {name: pos_ra, unit: arcsec}
  dec: {name: pos_dec, unit: arcmin}
  radius: {name: sr, unit: arcsec}
  calibrationLevel: {name: level, values: {"1": raw, "2": "calibrated,processed"}}
  dataproductType: {name: kind, template: "{value}s"}
fixed: {format: json, public: true}
answer: {records: data.items}
record: {id: name, title: value}
""",
    )
    params = checked(
        target='M "31" (core)',
        ra=1.0,
        dec=-2.0,
        radius=2.0,
        calibration_level=2,
        dataproduct_type="cube",
    )
    result = await connector(http).query(dataset, params, limit=100, timeout=10)
    sent = [(r.id, r.title) for r in result.records]
    assert sent == [
        ("q", 'title:"M \\"31\\" \\(core\\)"'),
        ("pos_ra", "3600.0"),
        ("pos_dec", "-120.0"),
        ("sr", "7200.0"),
        ("level", "calibrated,processed"),
        ("kind", "cubes"),
        ("format", "json"),
        ("public", "true"),
    ]
    with pytest.raises(InvalidParameter) as wrong:
        connector(http).native_query(dataset, checked(calibration_level=4), limit=10)
    assert wrong.value.parameter == "calibrationLevel"
    assert "must be one of 1, 2" in wrong.value.message
    with pytest.raises(UnsupportedParameter) as unmapped:
        connector(http).native_query(dataset, checked(collection="x"), limit=10)
    assert unmapped.value.parameter == "collection"


async def test_auth_header_from_the_environment(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    auth = "auth: {header: X-Api-Key, env: TEST_ARCHIVE_KEY, template: 'Key {token}'}\n"
    dataset = http_dataset(f"{recorded_apis.url}/auth/page", paged("page") + fixed(7) + auth)
    recorded_apis.clear()
    granted = connector(http, {"TEST_ARCHIVE_KEY": API_KEY})
    result = await granted.query(dataset, QueryParams(), limit=100, timeout=10)
    assert len(result.records) == 7
    seen = recorded_apis.requests("/auth/page")
    assert [s.headers["x-api-key"] for s in seen] == [f"Key {API_KEY}"] * 2
    assert API_KEY not in result.native_query

    with pytest.raises(ArchiveFailure) as unset:
        await connector(http, {}).query(dataset, QueryParams(), limit=100, timeout=10)
    assert "TEST_ARCHIVE_KEY" in unset.value.message
    assert unset.value.status is None

    with pytest.raises(ArchiveFailure) as refused:
        await connector(http, {"TEST_ARCHIVE_KEY": "wrong"}).query(
            dataset, QueryParams(), limit=100, timeout=10
        )
    assert refused.value.status == 401
    assert "Authentication credentials were not provided." in refused.value.message
    assert "wrong" not in refused.value.message

    optional = http_dataset(
        f"{recorded_apis.url}/synthetic/page",
        paged("page") + fixed(2) + auth.replace("'Key {token}'}", "'Key {token}', optional: true}"),
    )
    recorded_apis.clear()
    await connector(http, {}).query(optional, QueryParams(), limit=100, timeout=10)
    assert "x-api-key" not in recorded_apis.requests("/synthetic/page")[0].headers


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("not-json", "not JSON"),
        ("records-object", "answer.records (data.items): expected a list, got an object"),
        ("records-missing", "answer.records (data.items) found nothing"),
        ("item-text", "data.items[1]: expected an object, got text"),
        ("ra-object", "data.items[0] > ra (pos.ra): expected a number, got an object"),
        ("ra-text", "data.items[0] > ra (pos.ra): expected a number, got the text 'north'"),
        ("total-text", "answer.total (meta.total): expected a number, got the text 'many'"),
        ("deep", "not JSON"),
    ],
)
async def test_answers_of_the_wrong_shape_name_the_path(
    recorded_apis: RecordedApis, http: httpx.AsyncClient, case: str, expected: str
) -> None:
    dataset = http_dataset(f"{recorded_apis.url}/shape/{case}", SYNTHETIC_ANSWER)
    with pytest.raises(MalformedResponse) as caught:
        await connector(http).query(dataset, QueryParams(), limit=100, timeout=10)
    assert expected in caught.value.message
    assert caught.value.url.startswith(f"{recorded_apis.url}/shape/{case}")


async def test_a_next_value_of_the_wrong_shape(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    dataset = http_dataset(
        f"{recorded_apis.url}/shape/next-object",
        "paging: {style: link}\nanswer: {records: data.items, next: meta.next}\n",
    )
    with pytest.raises(MalformedResponse) as caught:
        await connector(http).query(dataset, QueryParams(), limit=100, timeout=10)
    assert "answer.next (meta.next): expected text, got an object" in caught.value.message


async def test_a_next_page_on_another_host_is_not_followed(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    dataset = http_dataset(
        f"{recorded_apis.url}/shape/next-away",
        "paging: {style: link}\nanswer: {records: data.items, next: meta.next}\n"
        "auth: {env: TEST_ARCHIVE_KEY}\n",
    )
    with pytest.raises(MalformedResponse) as caught:
        await connector(http, {"TEST_ARCHIVE_KEY": API_KEY}).query(
            dataset, QueryParams(), limit=100, timeout=10
        )
    assert "leaves the archive's own host: http://127.0.0.2:9/steal" in caught.value.message


async def test_credentials_never_follow_to_another_host_the_policy_allows(
    recorded_apis: RecordedApis,
) -> None:
    # the catalogue lets this service send us to "localhost" (follow_hosts): the next page
    # is fetched there, but the dataset's credentials stay on its own origin
    policy = EgressPolicy(follow={"127.0.0.1": ["localhost"]})
    clients = ServiceClients(timeout=httpx.Timeout(10), per_service=2, policy=policy)
    auth = "auth: {header: X-Api-Key, env: TEST_ARCHIVE_KEY, template: 'Key {token}'}\n"
    dataset = http_dataset(
        f"{recorded_apis.url}/synthetic/link",
        paged("link") + fixed(8, via_localhost="1") + auth,
    )
    recorded_apis.clear()
    try:
        granted = HttpJsonConnector(http=clients, environ={"TEST_ARCHIVE_KEY": API_KEY})
        result = await granted.query(dataset, QueryParams(), limit=100, timeout=10)
    finally:
        await clients.aclose()
    assert len(result.records) == 8
    seen = recorded_apis.requests("/synthetic/link")
    assert [s.headers.get("host", "").split(":")[0] for s in seen] == ["127.0.0.1", "localhost"]
    assert seen[0].headers["x-api-key"] == f"Key {API_KEY}"
    assert "x-api-key" not in seen[1].headers
    # without the catalogue's permission, the same answer is not followed
    unlisted = ServiceClients(timeout=httpx.Timeout(10), per_service=2, policy=EgressPolicy())
    try:
        with pytest.raises(MalformedResponse) as caught:
            await HttpJsonConnector(http=unlisted, environ={"TEST_ARCHIVE_KEY": API_KEY}).query(
                dataset, QueryParams(), limit=100, timeout=10
            )
    finally:
        await unlisted.aclose()
    assert "leaves the archive's own host: http://localhost:" in caught.value.message


async def test_redirects_stay_on_the_configured_host(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    home = http_dataset(f"{recorded_apis.url}/redirect/home", SYNTHETIC_ANSWER)
    result = await connector(http).query(home, QueryParams(), limit=100, timeout=10)
    assert [r.id for r in result.records] == ["0", "1", "2"]
    away = http_dataset(f"{recorded_apis.url}/redirect/away", SYNTHETIC_ANSWER)
    with pytest.raises(ArchiveFailure) as caught:  # as for every archive's redirects
        await connector(http).query(away, QueryParams(), limit=100, timeout=10)
    assert "redirected to another host; not followed" in caught.value.message


async def test_huge_answers_are_refused_not_truncated(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    capped = SYNTHETIC_ANSWER + "max_response_bytes: 50000\n"
    streamed = http_dataset(f"{recorded_apis.url}/huge", capped + "fixed: {bytes: 400000}\n")
    with pytest.raises(MalformedResponse) as caught:
        await connector(http).query(streamed, QueryParams(), limit=100, timeout=10)
    assert "answer exceeds 50000 bytes" in caught.value.message
    declared = http_dataset(
        f"{recorded_apis.url}/huge", capped + "fixed: {bytes: 400000, declared: 1}\n"
    )
    with pytest.raises(MalformedResponse) as caught:
        await connector(http).query(declared, QueryParams(), limit=100, timeout=10)
    assert "answer of 400000 bytes exceeds 50000" in caught.value.message
    fits = http_dataset(f"{recorded_apis.url}/huge", SYNTHETIC_ANSWER + "fixed: {bytes: 400000}\n")
    result = await connector(http).query(fits, QueryParams(), limit=10_000, timeout=10)
    assert len(result.records) > 4000  # read in a worker thread, above the inline threshold


async def test_a_slow_answer_times_out(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    dataset = http_dataset(f"{recorded_apis.url}/slow", SYNTHETIC_ANSWER + "fixed: {delay: 3}\n")
    with pytest.raises(ArchiveTimeout) as caught:
        await connector(http).query(dataset, QueryParams(), limit=100, timeout=0.5)
    assert caught.value.seconds == 0.5


async def test_tables_are_the_fields_of_the_records(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    dataset = http_dataset(f"{recorded_apis.url}/synthetic/page", paged("page") + fixed(3))
    (table,) = await connector(http).tables(dataset, timeout=10)
    assert table.name == "d"
    assert [c.name for c in table.columns] == ["uid", "name", "pos"]
    assert await connector(http).capabilities(dataset, timeout=10) == ()


ECHO = """\
parameters: {target: target__icontains, collection: {name: "filter[c]", template: "c:{value}"}}
fixed: {keep: 1}
answer: {records: data.items}
record: {id: name, title: value}
"""


@settings(max_examples=40, deadline=None)
@given(target=st.text(min_size=1, max_size=40), collection=st.text(min_size=1, max_size=20))
def test_hostile_values_reach_the_archive_as_one_parameter_value(
    recorded_apis: RecordedApis, target: str, collection: str
) -> None:
    try:
        params = checked(target=target, collection=collection)
    except InvalidParameter:
        return  # refused before any request
    dataset = http_dataset(f"{recorded_apis.url}/echo", ECHO)

    async def received() -> list[tuple[str | None, str | None]]:
        async with httpx.AsyncClient(timeout=10) as client:
            result = await connector(client).query(dataset, params, limit=10, timeout=10)
        return [(r.id, r.title) for r in result.records]

    expected = [("target__icontains", params.target)] if params.target else []
    expected += [("filter[c]", f"c:{params.collection}")] if params.collection else []
    assert asyncio.run(received()) == [*expected, ("keep", "1")]


async def test_a_hostile_value_in_the_native_query(
    recorded_apis: RecordedApis, http: httpx.AsyncClient
) -> None:
    hostile = "M31&keep=0&admin=1#frag/../../x?y=%00;' OR 1=1 --"
    dataset = http_dataset(f"{recorded_apis.url}/echo", ECHO)
    result = await connector(http).query(dataset, checked(target=hostile), limit=10, timeout=10)
    assert [(r.id, r.title) for r in result.records] == [
        ("target__icontains", hostile),
        ("keep", "1"),
    ]
    sent = urlsplit(result.native_query)
    assert sent.path == "/echo"
    assert parse_qsl(sent.query) == [("target__icontains", hostile), ("keep", "1")]
